package commerce

import (
	"context"

	"smartbot/queue"
)

// ProcessOrder is the order_processing handler.
func (s *Service) ProcessOrder(ctx context.Context, job queue.Job) error {
	return nil
}
