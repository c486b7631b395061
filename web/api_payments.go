package web

// paymentsRoutes are the payments API routes.
func (s *Server) paymentsRoutes() []route {
	return nil
}
