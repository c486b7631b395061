package web

// shopPages are the panel's products, customers and deliveries routes.
func (s *Server) shopPages() []route {
	return nil
}
