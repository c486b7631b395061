package web

// orderPages are the panel's orders routes: the board, the table and an
// order's page.
func (s *Server) orderPages() []route {
	return nil
}
