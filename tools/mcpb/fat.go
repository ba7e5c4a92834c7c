package main

import (
	"debug/macho"
	"encoding/binary"
	"fmt"
	"os"
)

// fatAlign is the alignment of each slice in a universal binary: 2^14 = 16 KiB, the page
// size of arm64 macOS (and a multiple of x86_64's 4 KiB), as Apple's lipo uses for arm64.
const fatAlign = 14

// writeUniversal writes a universal ("fat") Mach-O file holding the given thin Mach-O
// binaries, which macOS runs natively on either CPU. The format is Apple's
// <mach-o/fat.h>: a big-endian header (magic 0xcafebabe, slice count), one fat_arch
// record per slice (CPU type and subtype, offset, size, alignment), then the slices at
// aligned offsets, unchanged (so each keeps its own code signature).
func writeUniversal(out string, thin ...string) error {
	type slice struct {
		cpu, sub uint32
		data     []byte
	}
	var slices []slice
	for _, path := range thin {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := macho.Open(path)
		if err != nil {
			return fmt.Errorf("%s is not a thin Mach-O binary: %w", path, err)
		}
		slices = append(slices, slice{cpu: uint32(f.Cpu), sub: f.SubCpu, data: data})
		_ = f.Close()
	}
	const headerSize, archSize = 8, 20
	offset := alignUp(uint64(headerSize+archSize*len(slices)), 1<<fatAlign)
	buf := make([]byte, headerSize+archSize*len(slices))
	binary.BigEndian.PutUint32(buf[0:], macho.MagicFat)
	binary.BigEndian.PutUint32(buf[4:], uint32(len(slices)))
	var body []byte
	for i, s := range slices {
		if offset+uint64(len(s.data)) > 1<<32-1 {
			return fmt.Errorf("universal binary larger than 4 GiB")
		}
		rec := buf[headerSize+archSize*i:]
		binary.BigEndian.PutUint32(rec[0:], s.cpu)
		binary.BigEndian.PutUint32(rec[4:], s.sub)
		binary.BigEndian.PutUint32(rec[8:], uint32(offset))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(s.data)))
		binary.BigEndian.PutUint32(rec[16:], fatAlign)
		start := uint64(len(buf)) + uint64(len(body))
		body = append(body, make([]byte, offset-start)...)
		body = append(body, s.data...)
		offset = alignUp(offset+uint64(len(s.data)), 1<<fatAlign)
	}
	return os.WriteFile(out, append(buf, body...), 0o755)
}

func alignUp(n, to uint64) uint64 { return (n + to - 1) / to * to }
