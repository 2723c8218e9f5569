package engine

import (
	"strconv"
	"testing"
)

// The table finds, removes and clears exchanges whether they sit in the
// small array or spilled to the map.
func TestExchangeTable(t *testing.T) {
	var tb exchangeTable
	exs := make([]*exchange, 10)
	for i := range exs {
		exs[i] = &exchange{key: []byte(strconv.Itoa(100 + i))}
		if tb.get([]byte(exs[i].key)) != nil {
			t.Fatalf("%s present before put", exs[i].key)
		}
		tb.put(exs[i])
	}
	if tb.len() != 10 {
		t.Fatalf("len %d", tb.len())
	}
	for _, ex := range exs {
		if tb.get([]byte(ex.key)) != ex {
			t.Fatalf("get(%s) lost it", ex.key)
		}
	}
	// Remove one from the array and one from the map; the rest stay.
	if tb.remove([]byte("101")) != exs[1] || tb.remove([]byte("107")) != exs[7] || tb.remove([]byte("999")) != nil {
		t.Fatal("remove")
	}
	if tb.get([]byte("101")) != nil || tb.get([]byte("107")) != nil || tb.len() != 8 {
		t.Fatalf("after remove: len %d", tb.len())
	}
	for _, i := range []int{0, 2, 3, 4, 5, 6, 8, 9} {
		if tb.get([]byte(exs[i].key)) != exs[i] {
			t.Fatalf("lost %s after removes", exs[i].key)
		}
	}
	// Freed array room is used again.
	again := &exchange{key: []byte("200")}
	tb.put(again)
	if tb.get([]byte("200")) != again || tb.big["200"] != nil {
		t.Fatal("a freed array slot was not reused")
	}
	seen := 0
	tb.clear(func(*exchange) { seen++ })
	if seen != 9 || tb.len() != 0 || tb.get([]byte("100")) != nil {
		t.Fatalf("clear saw %d, len %d", seen, tb.len())
	}
}
