package engine

import (
	"bufio"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Stage is the overload manager's response to memory pressure, after
// Envoy's overload manager: each stage adds an action to the ones below
// it. It is published in one atomic the loops read without locks.
type Stage int32

const (
	// StageNormal: no action.
	StageNormal Stage = iota
	// StageNoKeepAlive: HTTP answers carry Connection: close, so clients
	// spread out and idle connections stop holding buffers.
	StageNoKeepAlive
	// StageRefuseConnections: new connections are closed at once and
	// initialize (new legacy HTTP sessions) gets 503.
	StageRefuseConnections
	// StageRefuseRequests: every new request is refused before it is
	// decoded (503, or -32000 with reason "memory").
	StageRefuseRequests
	// StageShedOutbound: connections holding the largest queues of unsent
	// answers are closed, the largest first.
	StageShedOutbound
	numStages
)

var stageNames = [numStages]string{"normal", "no_keepalive", "refuse_connections", "refuse_requests", "shed_outbound"}

func (st Stage) String() string {
	if st >= 0 && st < numStages {
		return stageNames[st]
	}
	return "unknown"
}

// stageAt are the fractions of the memory budget at which each stage
// engages; a stage is left when the heap falls stageHysteresis below its
// mark, so the stage does not flap at the boundary.
var stageAt = [numStages]float64{0, 0.80, 0.88, 0.94, 1.00}

const stageHysteresis = 0.05

// Memory budget defaults.
const (
	// budgetOfCgroup is the share of a cgroup v2 memory limit the heap may
	// use: the rest is for goroutine stacks, the runtime and the kernel's
	// socket buffers charged to the cgroup.
	budgetOfCgroup = 0.75
	// budgetOfRAM is the share of physical memory when there is no limit.
	budgetOfRAM = 0.5
	// monitorInterval is how often the heap is sampled.
	monitorInterval = 100 * time.Millisecond
	// forceGCAfter: the live heap is measured at each GC; under pressure a
	// GC is run if none ran for this long, so stages act on a fresh value.
	forceGCAfter = 500 * time.Millisecond
	// heavyOutbound is the unsent size past which a connection is a
	// candidate for StageShedOutbound.
	heavyOutbound = 64 << 10
)

// DefaultMemoryBudget returns the budget the overload manager uses when
// none is configured: 3/4 of the cgroup v2 memory limit if the process
// has one, else half the machine's RAM (0 if neither is known).
func DefaultMemoryBudget() int64 {
	if lim := cgroupMemoryLimit(); lim > 0 {
		return int64(float64(lim) * budgetOfCgroup)
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err == nil {
		return int64(float64(uint64(si.Totalram)*uint64(si.Unit)) * budgetOfRAM)
	}
	return 0
}

// cgroupMemoryLimit reads memory.max of the process's cgroup v2 ("max"
// or no cgroup v2: 0).
func cgroupMemoryLimit() int64 {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		path, ok := strings.CutPrefix(sc.Text(), "0::")
		if !ok {
			continue
		}
		b, err := os.ReadFile("/sys/fs/cgroup" + path + "/memory.max")
		if err != nil {
			return 0
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return 0 // "max"
		}
		return n
	}
	return 0
}

// monitor samples the heap every monitorInterval and publishes the stage.
// One goroutine per server; it never touches loop state, only posts.
type monitor struct {
	srv     *Server
	budget  int64
	samples [3]metrics.Sample
	cycles  uint64
	lastGC  time.Time
	done    chan struct{}
	once    sync.Once
}

func (s *Server) startMonitor() {
	if s.cfg.MemoryBudget <= 0 {
		return
	}
	m := &monitor{srv: s, budget: s.cfg.MemoryBudget, done: make(chan struct{}), lastGC: time.Now()}
	m.samples[0].Name = "/gc/heap/live:bytes"
	m.samples[1].Name = "/memory/classes/heap/objects:bytes"
	m.samples[2].Name = "/gc/cycles/total:gc-cycles"
	s.mon = m
	go m.run()
}

func (m *monitor) stop() { m.once.Do(func() { close(m.done) }) }

func (m *monitor) run() {
	t := time.NewTicker(monitorInterval)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
			m.sample()
		}
	}
}

// heap returns the live heap as of the last GC, running a GC first when
// the heap (garbage included) is near the budget and none ran lately.
func (m *monitor) heap() int64 {
	metrics.Read(m.samples[:])
	live := int64(m.samples[0].Value.Uint64())
	objects := int64(m.samples[1].Value.Uint64())
	if c := m.samples[2].Value.Uint64(); c != m.cycles {
		m.cycles, m.lastGC = c, time.Now()
	}
	if float64(objects) >= stageAt[StageNoKeepAlive]*float64(m.budget) && time.Since(m.lastGC) >= forceGCAfter {
		runtime.GC()
		m.lastGC = time.Now()
		metrics.Read(m.samples[:1])
		live = int64(m.samples[0].Value.Uint64())
	}
	return live
}

func (m *monitor) sample() {
	s := m.srv
	live := m.heap()
	s.heapLive.Store(live)
	frac := float64(live) / float64(m.budget)
	cur := Stage(s.stage.Load())
	next := cur
	for next < numStages-1 && frac >= stageAt[next+1] {
		next++
	}
	for next > StageNormal && frac < stageAt[next]-stageHysteresis {
		next--
	}
	if next != cur {
		s.stage.Store(int32(next))
		s.stageChanges.Add(1)
		args := []any{"stage", next.String(), "from", cur.String(), "heap_live", live, "budget", m.budget}
		if next > cur {
			s.log.Warn("overload: memory pressure rising", args...)
		} else {
			s.log.Info("overload: memory pressure falling", args...)
		}
	}
	if next >= StageShedOutbound {
		for i := range s.slots {
			if l := s.slots[i].Load(); l != nil {
				_ = l.shard.Post(l.shedOutbound)
			}
		}
	}
}

// noteOutbound remembers a connection whose unsent answers passed
// heavyOutbound, as a candidate for shedding. Loop goroutine.
func (l *loop) noteOutbound(c heavyConn, buffered int) {
	if buffered >= heavyOutbound {
		if l.heavy == nil {
			l.heavy = make(map[heavyConn]struct{})
		}
		l.heavy[c] = struct{}{}
	}
}

// heavyConn is a connection that can be shed: NDJSON or HTTP.
type heavyConn interface {
	outbound() int
	shed()
	gnetConn() gnet.Conn
}

// shedOutbound closes the connections of loop l with the largest unsent
// queues: the larger half of those past heavyOutbound, at least one, each
// monitor interval while the stage lasts. Loop goroutine.
func (l *loop) shedOutbound() {
	if Stage(l.srv.stage.Load()) < StageShedOutbound || len(l.heavy) == 0 {
		return
	}
	type sized struct {
		c heavyConn
		n int
	}
	var list []sized
	for c := range l.heavy {
		if n := c.outbound(); n >= heavyOutbound {
			list = append(list, sized{c, n})
		} else {
			delete(l.heavy, c)
		}
	}
	slices.SortFunc(list, func(a, b sized) int { return b.n - a.n })
	for _, e := range list[:(len(list)+1)/2] {
		delete(l.heavy, e.c)
		l.srv.r.LoopStats(l.shard).ShedConnections.Inc()
		l.closedBy(e.c.gnetConn(), CloseOverload)
		e.c.shed()
	}
}

func (cn *conn) outbound() int { return cn.c.OutboundBuffered() }

func (cn *conn) gnetConn() gnet.Conn { return cn.c }

func (hc *httpConn) gnetConn() gnet.Conn { return hc.c }

func (cn *conn) shed() {
	if !cn.closing {
		cn.closing = true
		_ = cn.c.Close()
	}
}

func (hc *httpConn) outbound() int { return hc.c.OutboundBuffered() }

func (hc *httpConn) shed() {
	if !hc.closing {
		hc.closing = true
		_ = hc.c.Close()
	}
}
