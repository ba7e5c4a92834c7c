package config

import (
	"errors"
	"flag"
	"fmt"
)

// Load parses args (without the program name) as configuration flags and reads the
// configuration with Flags.Load. It returns flag.ErrHelp unwrapped when -h or --help is given,
// and an *Error for a flag mistake or for any argument that is not a flag.
func Load(args []string, getenv func(string) string) (*Config, error) {
	fs := flag.NewFlagSet("komodo-mcp", flag.ContinueOnError)
	f := NewFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &Error{Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, &Error{Msg: fmt.Sprintf("unexpected argument %q: only flags are accepted here (see --help)", fs.Arg(0))}
	}
	return f.Load(getenv)
}
