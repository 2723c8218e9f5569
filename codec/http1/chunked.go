package http1

import "bytes"

// frameChunked de-chunks the body (RFC 9112 §7.1) from the bytes of buf
// from r.wire on into r.store and returns the length of the request's
// bytes in buf once the trailer section has ended. State between calls is
// in r.phase, r.wire and r.chunkLeft, so data bytes are copied exactly once
// however they arrive.
func (r *Request) frameChunked(buf []byte, maxBody int) (int, error) {
	w := r.wire - r.base // r.wire, as an offset in buf
	n, err := r.dechunk(buf, &w, maxBody)
	r.wire = w + r.base
	return n, err
}

func (r *Request) dechunk(buf []byte, w *int, maxBody int) (int, error) {
	for {
		switch r.phase {
		case chunkSizeLine:
			end, next, err := findLine(buf, *w, MaxChunkLineBytes, ErrChunkLineTooLong)
			if next == 0 {
				return 0, err
			}
			size, ext, err := parseChunkSize(buf[*w:end])
			if err != nil {
				return 0, err
			}
			if r.extBytes += ext; r.extBytes > MaxChunkExtensionBytes {
				return 0, ErrChunkExtensions
			}
			// Refuse as soon as the declared sizes pass the limit, before
			// the bytes arrive.
			if size > uint64(maxBody-r.store.Len()) {
				return 0, ErrBodyTooLarge
			}
			*w = next
			if size == 0 {
				r.phase = chunkTrailer
				r.trailerStart = next + r.base
				continue
			}
			r.chunkLeft = size
			r.phase = chunkData
		case chunkData:
			take := min(uint64(len(buf)-*w), r.chunkLeft)
			r.store.Append(buf[*w : *w+int(take)])
			*w += int(take)
			if r.chunkLeft -= take; r.chunkLeft > 0 {
				return 0, nil
			}
			r.phase = chunkDataEnd
		case chunkDataEnd:
			switch avail := len(buf) - *w; {
			case avail >= 1 && buf[*w] != '\r', avail >= 2 && buf[*w+1] != '\n':
				return 0, ErrChunkData
			case avail < 2:
				return 0, nil
			}
			*w += 2
			r.phase = chunkSizeLine
		case chunkTrailer:
			// Trailer fields are checked like header fields and dropped:
			// nothing in MCP uses them.
			room := MaxTrailerBytes - (*w + r.base - r.trailerStart)
			end, next, err := findLine(buf, *w, room, ErrTrailerTooLarge)
			if next == 0 {
				return 0, err
			}
			if end == *w {
				return next, nil
			}
			if _, err := checkFieldLine(buf[*w:end]); err != nil {
				return 0, err
			}
			*w = next
		default:
			panic("BUG: http1: unknown chunk phase")
		}
	}
}

// findLine finds the CRLF-terminated line starting at buf[start], at most
// maxLen bytes long with its CRLF. It returns the end of the line content and
// the start of the next line, next == 0 meaning "not yet" (err == nil) or
// refused.
func findLine(buf []byte, start, maxLen int, tooLong *Error) (end, next int, err error) {
	limit := min(len(buf), start+maxLen)
	lf := bytes.IndexByte(buf[start:limit], '\n')
	if lf < 0 {
		if len(buf)-start >= maxLen {
			return 0, 0, tooLong
		}
		return 0, 0, nil
	}
	lf += start
	if lf == start || buf[lf-1] != '\r' {
		return 0, 0, ErrBareLF
	}
	return lf - 1, lf + 1, nil
}

// parseChunkSize parses chunk-size [ ";" chunk-ext ] without CRLF and returns
// the size and the extension length. At most 16 hex digits, as net/http;
// extensions may hold any field-value bytes and are ignored.
func parseChunkSize(line []byte) (size uint64, ext int, err error) {
	i := 0
	for ; i < len(line); i++ {
		v, ok := hexValue(line[i])
		if !ok {
			break
		}
		if i == 16 {
			return 0, 0, ErrChunkSize
		}
		size = size<<4 | uint64(v)
	}
	if i == 0 {
		return 0, 0, ErrChunkSize
	}
	if i == len(line) {
		return size, 0, nil
	}
	if line[i] != ';' {
		return 0, 0, ErrChunkSize
	}
	for _, c := range line[i:] {
		if !isValueByte[c] {
			return 0, 0, ErrChunkSize
		}
	}
	return size, len(line) - i, nil
}
