package ops

import (
	"github.com/densemcp/densemcp/cluster"
	"github.com/prometheus/client_golang/prometheus"
)

// ClusterSource is a Source that may serve as a cluster node
// (densemcp.Server with Options.Cluster): ok is false while it is not one.
type ClusterSource interface {
	ClusterStats() (st cluster.Stats, ok bool)
}

// clusterDescs are a cluster node's series, emitted only while the source
// serves as a node (cluster.Stats, read at scrape time).
type clusterDescs struct {
	forwarded, served, forwardFailed, adopted, notifySent, notifyHeard, dropped, nodesLost *prometheus.Desc
}

func newClusterDescs() clusterDescs {
	d := prometheus.NewDesc
	return clusterDescs{
		forwarded:     d("densemcp_cluster_forwarded_total", "Requests this node forwarded to the node that owns their session.", nil, nil),
		served:        d("densemcp_cluster_served_total", "Requests forwarded by other nodes and answered here.", nil, nil),
		forwardFailed: d("densemcp_cluster_forward_failures_total", "Forwarded exchanges that ended with an explicit error (owner lost, reply stream broken).", nil, nil),
		adopted:       d("densemcp_cluster_sessions_adopted_total", "Legacy sessions this node adopted from lost or leaving nodes.", nil, nil),
		notifySent:    d("densemcp_cluster_notifications_sent_total", "Changes (list changes, resource updates) published to the other nodes.", nil, nil),
		notifyHeard:   d("densemcp_cluster_notifications_received_total", "Changes heard from the other nodes.", nil, nil),
		dropped: d("densemcp_cluster_dropped_total",
			"Cluster messages dropped: a full outbox, a lagging NATS subscription, a full shard inbox.", nil, nil),
		nodesLost: d("densemcp_cluster_nodes_lost_total", "Peers taken for lost (silent past the cluster's dead-after time).", nil, nil),
	}
}

func (c *clusterDescs) describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.forwarded, c.served, c.forwardFailed, c.adopted, c.notifySent, c.notifyHeard, c.dropped, c.nodesLost} {
		ch <- d
	}
}

func (c *clusterDescs) collect(ch chan<- prometheus.Metric, src Source) {
	cs, ok := src.(ClusterSource)
	if !ok {
		return
	}
	st, ok := cs.ClusterStats()
	if !ok {
		return
	}
	for _, m := range []struct {
		d *prometheus.Desc
		v uint64
	}{{c.forwarded, st.Forwarded}, {c.served, st.Served}, {c.forwardFailed, st.ForwardFailed}, {c.adopted, st.Adopted},
		{c.notifySent, st.NotifySent}, {c.notifyHeard, st.NotifyHeard}, {c.dropped, st.Dropped}, {c.nodesLost, st.NodesLost}} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}
