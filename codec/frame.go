package codec

import "bytes"

// DefaultMaxLineBytes is the default limit on one NDJSON line (one JSON-RPC
// message) on the stdio and TCP transports, without its line terminator.
//
// Why 4 MiB: MCP messages are small except for tool results and resource
// contents, which may carry base64 images or documents; 4 MiB holds those
// comfortably, matches the HTTP body limit, and keeps the worst case a single
// connection can make the server buffer to a few MiB (gnet never pauses reads,
// so this limit is what bounds per-connection inbound memory).
const DefaultMaxLineBytes = 4 << 20

// NextLine frames one line at the start of buf. The returned line excludes the
// terminating '\n' and one optional '\r' before it, and aliases buf.
//
//   - n > 0: n bytes were consumed; line may be empty (a blank line, which the
//     caller skips).
//   - n == 0 && err == nil: buf holds only a partial line; wait for more bytes.
//   - err == ErrLineTooLong: the line is longer than max bytes, either already
//     complete or known to be so because no '\n' can end it within max bytes.
//     The connection cannot resynchronise: answer a parse error and close.
//
// Only the first max+2 bytes of buf are searched, so framing a line costs
// O(line) no matter how much is buffered behind it. max must be positive.
func NextLine(buf []byte, max int) (line []byte, n int, err error) {
	if max <= 0 {
		panic("BUG: NextLine needs a positive max line length")
	}
	window := buf
	if len(window) > max+2 {
		window = window[:max+2]
	}
	i := bytes.IndexByte(window, '\n')
	if i < 0 {
		// Without a '\n' in the window the line already has max+1 bytes,
		// unless the window ends in exactly max bytes plus the '\r' of a
		// "\r\n" that is still in flight.
		if len(window) == max+2 || (len(window) == max+1 && window[max] != '\r') {
			return nil, 0, ErrLineTooLong
		}
		return nil, 0, nil
	}
	line = buf[:i]
	if i > 0 && line[i-1] == '\r' {
		line = line[:i-1]
	}
	if len(line) > max {
		return nil, 0, ErrLineTooLong
	}
	return line, i + 1, nil
}
