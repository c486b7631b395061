package web

// messagingRoutes are the WhatsApp, messages, conversations and simulator
// API routes.
func (s *Server) messagingRoutes() []route {
	return nil
}
