package media

// SetCrashAt makes s call f at each step of Process (the crash test kills
// its process there).
func SetCrashAt(s *Service, f func(step string)) { s.crashAt = f }
