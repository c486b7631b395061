package whatsapp

import (
	"context"
	"fmt"
	"log/slog"

	waLog "go.mau.fi/whatsmeow/util/log"
)

// slogLogger carries whatsmeow's printf-style logging into the app's
// structured log, with the whatsmeow module ("Client", "Client/Socket") as
// an attribute so one area can be filtered out.
type slogLogger struct {
	log    *slog.Logger
	module string
}

var _ waLog.Logger = slogLogger{}

func newLogger(log *slog.Logger, module string) waLog.Logger {
	return slogLogger{log: log, module: module}
}

func (l slogLogger) emit(level slog.Level, msg string, args []any) {
	// Formatting costs more than the check: whatsmeow logs every frame at
	// debug level.
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(msg, args...), "whatsmeow", l.module)
}

func (l slogLogger) Errorf(msg string, args ...any) { l.emit(slog.LevelError, msg, args) }
func (l slogLogger) Warnf(msg string, args ...any)  { l.emit(slog.LevelWarn, msg, args) }
func (l slogLogger) Infof(msg string, args ...any)  { l.emit(slog.LevelInfo, msg, args) }
func (l slogLogger) Debugf(msg string, args ...any) { l.emit(slog.LevelDebug, msg, args) }

func (l slogLogger) Sub(module string) waLog.Logger {
	if l.module != "" {
		module = l.module + "/" + module
	}
	return slogLogger{log: l.log, module: module}
}
