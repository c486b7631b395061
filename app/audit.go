package app

// AuditEntry is one row of the audit log: who did what to which entity, with
// the entity as it was before and after. Before is nil for a creation, After
// for a deletion.
type AuditEntry struct {
	Action     string // "<entity>.<verb>", e.g. "order.update", "setting.set"
	EntityType string
	EntityID   string
	Before     any
	After      any
}
