package web

// ordersRoutes are the orders API routes.
func (s *Server) ordersRoutes() []route {
	return nil
}
