package router

import (
	"github.com/densemcp/densemcp/codec"
)

// metaLogLevel is the modern era's per-request log threshold in _meta.
const metaLogLevel = "io.modelcontextprotocol/logLevel"

// LogLevel is an RFC 5424 severity as MCP names them, ordered.
type LogLevel int8

// LogLevel names accepted by Request.Log.
const (
	levelUnset LogLevel = -1
	LevelDebug LogLevel = iota - 1
	LevelInfo
	LevelNotice
	LevelWarning
	LevelError
	LevelCritical
	LevelAlert
	LevelEmergency
	levelInvalid
)

var levelNames = [...]string{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

func (l LogLevel) String() string {
	if l >= LevelDebug && l <= LevelEmergency {
		return levelNames[l]
	}
	return "invalid"
}

// parseLevelToken parses a JSON string token naming a level.
func parseLevelToken(tok []byte) LogLevel {
	if !codec.IsString(tok) {
		return levelInvalid
	}
	var b [32]byte
	name, err := codec.Unquote(b[:0], tok)
	if err != nil {
		return levelInvalid
	}
	for i, n := range levelNames {
		if string(name) == n {
			return LogLevel(i)
		}
	}
	return levelInvalid
}

// setLevel answers legacy logging/setLevel.
func (r *Router) setLevel(q *request) {
	tok, ok := codec.ObjectField(q.params, "level")
	lvl := parseLevelToken(tok)
	if !ok || lvl == levelInvalid {
		q.s.replyError(q.id, codec.CodeInvalidParams, "logging/setLevel: level must be one of debug, info, notice, warning, error, critical, alert, emergency", nil)
		return
	}
	q.s.logLevel.Store(int32(lvl))
	q.s.stateChanged()
	q.s.replyResult(q.id, []byte(`{}`))
}

// Log sends notifications/message at level, if the client wants it: in the
// legacy era when level is at or above the session's logging/setLevel
// threshold (all levels until the client sets one); in the modern era only
// when the request's _meta asked for logs at or below level. data is any
// JSON-encodable value; logger may be empty.
func (q *Request) Log(level LogLevel, logger string, data any) {
	if level < LevelDebug || level > LevelEmergency {
		return
	}
	if q.session.era == EraModern {
		if q.logLevel == levelUnset || q.logLevel == levelInvalid || level < q.logLevel {
			return
		}
	} else if min := LogLevel(q.session.logLevel.Load()); min != levelUnset && level < min {
		return
	}
	p := make([]byte, 0, 128)
	p = append(p, `{"level":"`...)
	p = append(p, level.String()...)
	p = append(p, '"')
	if logger != "" {
		p = append(p, `,"logger":`...)
		p = codec.AppendString(p, logger)
	}
	p = append(p, `,"data":`...)
	var err error
	if p, err = codec.AppendJSON(p, data); err != nil {
		return
	}
	p = append(p, '}')
	q.notify("notifications/message", p)
}
