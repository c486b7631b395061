package web

// inboxRoutes are the panel's inbox and WhatsApp connection routes.
func (s *Server) inboxRoutes() []route {
	return nil
}
