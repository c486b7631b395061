package web

import (
	"context"
	"net/http"

	"smartbot/app"
	"smartbot/queue"
	"smartbot/web/ui"
)

// The queues page: each queue's figures and the jobs that failed every
// attempt (its stream and the retry and discard actions are in stream.go).

func (s *Server) pageQueues(w http.ResponseWriter, r *http.Request) error {
	queues, err := s.queueRows(r.Context())
	if err != nil {
		return err
	}
	dead, err := s.deadRows(r.Context())
	if err != nil {
		return err
	}
	l, _ := s.frame(w, r, "Queues", "queues")
	return render(w, r, http.StatusOK, ui.Queues(ui.QueuesPage{Layout: l, Queues: queues, Dead: dead}))
}

// deadRows lists the newest failed jobs (dead letters) of every queue.
func (s *Server) deadRows(ctx context.Context) ([]ui.DeadRow, error) {
	var rows []ui.DeadRow
	for _, st := range queue.Names {
		dead, err := s.queues.DeadLetters(ctx, st, "", 50)
		if err != nil {
			return nil, err
		}
		for _, d := range dead {
			rows = append(rows, ui.DeadRow{ID: d.ID, Queue: queueLabel(string(d.Queue)), Attempts: d.Attempts, Error: sentence(d.Error),
				FailedAt: displayTime(ctx, d.FailedAt), Body: app.Shorten(string(d.Body), 200)})
		}
	}
	return rows, nil
}

// queueLabels are the queues in words for people; the API keeps the names.
var queueLabels = map[string]string{
	string(queue.MediaProcessing): "Pictures and files",
	string(queue.MessageSending):  "Outgoing messages",
	string(queue.OrderProcessing): "Orders",
	string(queue.WebhookDelivery): "Webhook deliveries",
}

// queueLabel is a queue's name for people; an unknown queue keeps its own.
func queueLabel(name string) string {
	if l, ok := queueLabels[name]; ok {
		return l
	}
	return name
}
