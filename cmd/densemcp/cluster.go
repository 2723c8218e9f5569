package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/cluster"
	"github.com/densemcp/densemcp/cluster/embedded"
)

// defaultEmbeddedNATS is where `--cluster embedded` listens for the other
// nodes.
const defaultEmbeddedNATS = "127.0.0.1:4222"

func init() {
	var (
		urls, node, name, natsListen string
		heartbeat, deadAfter, ttl    time.Duration
		replicas                     int
		memory                       bool
		ns                           *embedded.Server
	)
	registerServeExtension(serveExtension{
		name: "cluster",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&urls, "cluster", "", "join a cluster over NATS: `URLS` (nats://host:port, comma-separated; JetStream on), or \"embedded\" to run a NATS server in this process (dev mode; see --cluster-nats-listen)")
			fs.StringVar(&node, "cluster-node", "", "this node's id in session ids (letters, digits, - and _; default: host name and a random suffix)")
			fs.StringVar(&name, "cluster-name", cluster.DefaultName, "cluster name: prefix of its NATS subjects and buckets")
			fs.StringVar(&natsListen, "cluster-nats-listen", defaultEmbeddedNATS, "with --cluster embedded: where the embedded NATS server listens for the other nodes")
			fs.DurationVar(&heartbeat, "cluster-heartbeat", cluster.DefaultHeartbeat, "how often a node says it is alive")
			fs.DurationVar(&deadAfter, "cluster-dead-after", cluster.DefaultDeadAfter, "a node silent this long is taken for lost")
			fs.DurationVar(&ttl, "cluster-state-ttl", cluster.DefaultStateTTL, "expiry of session records in the bucket (live sessions are rewritten every half of it)")
			fs.IntVar(&replicas, "cluster-replicas", 1, "replicas of the cluster's JetStream buckets")
			fs.BoolVar(&memory, "cluster-memory", false, "keep the cluster's buckets in NATS memory instead of on disk")
		},
		apply: func(o *densemcp.Options, log *slog.Logger) error {
			if urls == "" {
				return nil
			}
			list := cluster.ParseURLs(urls)
			if urls == "embedded" {
				host, port, err := net.SplitHostPort(natsListen)
				if err != nil {
					return errors.New("bad --cluster-nats-listen: " + err.Error())
				}
				p, err := strconv.Atoi(port)
				if err != nil {
					return errors.New("bad --cluster-nats-listen port: " + port)
				}
				if ns, err = embedded.Start(host, p, ""); err != nil {
					return err
				}
				log.Info("embedded NATS server listening", "url", ns.URL())
				list = []string{ns.URL()}
				memory = true
			}
			o.Cluster = &densemcp.ClusterConfig{URLs: list, NodeID: node, Name: name,
				Heartbeat: heartbeat, DeadAfter: deadAfter, StateTTL: ttl,
				Replicas: replicas, MemoryStorage: memory, Logger: log}
			return nil
		},
		start: func(context.Context, *densemcp.Server, *slog.Logger) (func(), error) {
			if ns == nil {
				return nil, nil
			}
			return ns.Shutdown, nil
		},
	})
}
