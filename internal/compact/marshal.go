package compact

import (
	"bytes"
	"encoding/json"
)

// Marshal is v as JSON without spaces or a trailing newline, and with <, > and &
// left as they are (Komodo's logs and commands are full of them; escaping costs bytes).
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
