package perf

import (
	"errors"
	"slices"
	"testing"
)

// searchCapacity doubles the open-loop offer while the server keeps up, keeps the most
// goodput seen, and offers the closed-loop figure once more when a run that did not keep
// up showed less than it (a server collapsing past its capacity).
func TestSearchCapacity(t *testing.T) {
	f := func(name string, closed int, server func(offered int) int, wantCap int, wantOffers ...int) {
		t.Helper()
		var offers []int
		got, err := searchCapacity(closed, func(offered int) (int, error) {
			offers = append(offers, offered)
			return server(offered), nil
		})
		if err != nil || got != wantCap || !slices.Equal(offers, wantOffers) {
			t.Errorf("%s: capacity %d (err %v) after offers %v, want %d after %v", name, got, err, offers, wantCap, wantOffers)
		}
	}
	upTo := func(c int) func(int) int { return func(o int) int { return min(o, c) } }
	// The closed loop measured a fifth of the capacity: two doublings keep up, the third not.
	f("doubling", 1000, upTo(5000), 5000, 2000, 4000, 8000)
	// At most maxCapacitySteps runs, even while the server keeps up.
	f("bound", 1000, upTo(1_000_000), 8000, 2000, 4000, 8000)
	// Not kept up, but more than the closed loop showed: that is the capacity.
	f("first run saturates", 1000, upTo(1500), 1500, 2000)
	// Goodput collapses at twice capacity (4,000 calls/s, a third of it at 8,000): the
	// closed-loop figure, offered open loop, shows what the server can do.
	collapse := func(o int) int {
		if o > 4100 {
			return 1300
		}
		return min(o, 4050)
	}
	f("collapse", 4100, collapse, 4050, 8200, 4100)
	// The check runs once: collapsing at the closed figure too leaves the most seen.
	f("collapse at the closed figure too", 4100, func(o int) int { return o / 4 }, 2050, 8200, 4100)
	// A run of no goodput at all is not an error here (the caller reports it).
	f("nothing", 10, func(int) int { return 0 }, 0, 20, 10)
	boom := errors.New("boom")
	if _, err := searchCapacity(10, func(int) (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("a failed run: %v, want it returned", err)
	}
}
