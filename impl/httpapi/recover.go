package httpapi

import (
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/onbehalf/onbehalf/impl/observe"
)

// recoverPanics answers a request whose handler panicked with the
// contract's 500 problem, where net/http would drop the connection without
// an answer, and logs the panic with its stack as an internal error. It
// runs inside observe.Requests, so the request still has its request line
// and its metrics. When the answer had already begun, it cannot be
// replaced: the connection is cut (http.ErrAbortHandler), as net/http
// would, after the panic is logged. A handler's own http.ErrAbortHandler
// goes on to net/http untouched.
func recoverPanics(problems problemWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err := &panicError{value: v, stack: debug.Stack()}
			if observe.Started(w) {
				problems.log.ErrorContext(r.Context(), "internal error", "error", err.Error())
				panic(http.ErrAbortHandler)
			}
			problems.write(w, r, err)
		}()
		next.ServeHTTP(w, r)
	})
}

// panicError is a recovered panic, with the stack where it happened. Its
// message holds the panic's value when that is an error or a string (what
// the runtime and libraries panic with), and only the type of any other
// value: such a value is never formatted, so that nothing a request holds
// (a token, say) reaches the log through its fields or String method.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	var what string
	switch v := e.value.(type) {
	case error:
		what = v.Error()
	case string:
		what = v
	default:
		what = fmt.Sprintf("a value of type %T", v)
	}
	return "panic: " + what + "\n" + string(e.stack)
}
