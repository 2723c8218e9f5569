package main

import (
	"errors"
	"flag"
	"log/slog"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/router"
)

// The tasks flags: how long results are kept, how many tasks may live, and
// the poll interval suggested to clients.
func init() {
	var ttl, poll time.Duration
	var max int
	registerServeExtension(serveExtension{
		name: "tasks",
		flags: func(fs *flag.FlagSet) {
			fs.DurationVar(&ttl, "task-ttl", router.DefaultTaskTTL, "how long a task and its result are kept after creation")
			fs.IntVar(&max, "max-tasks", router.DefaultMaxTasks, "live tasks at most; past it the oldest finished task goes, or a new one is refused (-32000)")
			fs.DurationVar(&poll, "task-poll-interval", router.DefaultTaskPollInterval, "polling interval suggested to clients (pollIntervalMs)")
		},
		apply: func(o *densemcp.Options, _ *slog.Logger) error {
			if ttl <= 0 || max <= 0 || poll <= 0 {
				return errors.New("--task-ttl, --max-tasks and --task-poll-interval must be positive")
			}
			o.TaskTTL, o.MaxTasks, o.TaskPollInterval = ttl, max, poll
			return nil
		},
	})
}
