package floorsrv

import (
	"bytes"

	"github.com/panjf2000/gnet/v2"
)

// maxLine bounds one NDJSON line; a longer partial line closes the connection.
const maxLine = 1 << 20

// lineHandler answers newline-delimited JSON-RPC.
type lineHandler struct {
	gnet.BuiltinEventEngine
	booted chan<- gnet.Engine
}

// connState is the per-connection answer buffer, reused for every read.
type connState struct {
	out    []byte
	body   []byte // HTTP: the answer body, built before its head
	stream bool   // HTTP: a GET stream is open; the connection takes no more requests
}

func (h *lineHandler) OnBoot(eng gnet.Engine) gnet.Action {
	h.booted <- eng
	return gnet.None
}

func (h *lineHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&connState{})
	return nil, gnet.None
}

// OnTraffic answers every complete line and leaves a partial one in gnet's buffer for the
// next read: never Next(-1), which would drop it.
func (h *lineHandler) OnTraffic(c gnet.Conn) gnet.Action {
	st := c.Context().(*connState)
	buf, _ := c.Peek(-1)
	out := st.out[:0]
	used := 0
	for {
		i := bytes.IndexByte(buf[used:], '\n')
		if i < 0 {
			break
		}
		var ok bool
		if out, ok = appendAnswer(out, buf[used:used+i]); ok {
			out = append(out, '\n')
		}
		used += i + 1
	}
	if len(buf)-used > maxLine {
		return gnet.Close
	}
	if used > 0 {
		_, _ = c.Discard(used) // Discard(0) would drop everything
	}
	if len(out) > 0 {
		_, _ = c.Write(out)
	}
	st.out = out
	return gnet.None
}
