package db

import (
	"io"

	gojson "github.com/goccy/go-json"
	"github.com/uptrace/bun/extra/bunjson"
)

// fastJSON makes bun decode and encode jsonb columns with goccy/go-json, a
// drop-in for encoding/json that does it without reflection on the hot path:
// under load, scanning entities' meta tags, links and attributes took a third
// of the server's CPU with encoding/json.
type fastJSON struct{}

func (fastJSON) Marshal(v any) ([]byte, error)          { return gojson.Marshal(v) }
func (fastJSON) Unmarshal(data []byte, v any) error     { return gojson.Unmarshal(data, v) }
func (fastJSON) NewEncoder(w io.Writer) bunjson.Encoder { return gojson.NewEncoder(w) }
func (fastJSON) NewDecoder(r io.Reader) bunjson.Decoder { return gojson.NewDecoder(r) }

func init() { bunjson.SetProvider(fastJSON{}) }
