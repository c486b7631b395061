package web

// customersRoutes are the customers API routes.
func (s *Server) customersRoutes() []route {
	return nil
}
