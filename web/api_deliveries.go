package web

// deliveriesRoutes are the deliveries API routes.
func (s *Server) deliveriesRoutes() []route {
	return nil
}
