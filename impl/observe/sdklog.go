package observe

import (
	"context"
	"fmt"
	"log/slog"

	sdklogger "github.com/databricks/databricks-sdk-go/logger"
)

// SDKLogger routes the Databricks SDK's log output through slog, so that
// every line the process writes is JSON with the request's correlation id.
// It passes on the SDK's info, warnings and errors only: its debug and trace
// lines dump HTTP round trips, bodies included, and a body can hold a secret
// (the answer of the Lakebase credentials API is one).
func SDKLogger(log *slog.Logger) sdklogger.Logger {
	return sdkLogger{log: log.With("component", "databricks-sdk")}
}

type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Enabled(ctx context.Context, level sdklogger.Level) bool {
	return level >= sdklogger.LevelInfo && l.log.Enabled(ctx, slog.Level(level))
}

func (l sdkLogger) Tracef(context.Context, string, ...any) {}
func (l sdkLogger) Debugf(context.Context, string, ...any) {}

func (l sdkLogger) Infof(ctx context.Context, format string, v ...any) {
	l.log.InfoContext(ctx, fmt.Sprintf(format, v...))
}

func (l sdkLogger) Warnf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}

func (l sdkLogger) Errorf(ctx context.Context, format string, v ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(format, v...))
}
