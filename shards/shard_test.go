package shards

import "testing"

type member struct{ got []string }

func (m *member) Notify(kind uint8, key string) { m.got = append(m.got, string(rune('0'+kind))+key) }

func TestInboxRunsPostedTasksInOrder(t *testing.T) {
	in := NewInbox(2)
	sh := New(0, in)
	var order []int
	if err := sh.Post(func() { order = append(order, 1) }); err != nil {
		t.Fatal(err)
	}
	if err := sh.Post(func() { order = append(order, 2) }); err != nil {
		t.Fatal(err)
	}
	if err := sh.Post(func() {}); err != ErrInboxFull {
		t.Fatalf("third Post on a 2-slot inbox: got %v, want ErrInboxFull", err)
	}
	(<-in.C)()
	(<-in.C)()
	if len(order) != 2 || order[0] != 1 || order[1] != 2 {
		t.Fatalf("order = %v", order)
	}
	in.Close()
	if err := sh.Post(func() {}); err != ErrClosed {
		t.Fatalf("Post after Close: %v", err)
	}
}

func TestNotifyMembers(t *testing.T) {
	sh := New(0, NewInbox(1))
	a, b := &member{}, &member{}
	sh.Join(a)
	sh.Join(b)
	sh.Leave(b)
	sh.Notify(1, "x")
	if len(a.got) != 1 || a.got[0] != "1x" || len(b.got) != 0 {
		t.Fatalf("a=%v b=%v", a.got, b.got)
	}
}

func TestPickIsStableAndSpreads(t *testing.T) {
	ins := []*Shard{New(0, NewInbox(1)), New(1, NewInbox(1)), New(2, NewInbox(1))}
	set := NewSet(ins...)
	seen := map[int]int{}
	for i := 0; i < 300; i++ {
		k := []byte{byte(i), byte(i >> 8), 'k'}
		a, b := set.Pick(k), set.Pick(k)
		if a != b {
			t.Fatal("Pick is not stable")
		}
		seen[a.ID]++
	}
	if len(seen) != 3 {
		t.Fatalf("300 keys landed on %d of 3 shards", len(seen))
	}
}

func TestBroadcastReachesEveryShard(t *testing.T) {
	in0, in1 := NewInbox(1), NewInbox(1)
	set := NewSet(New(0, in0), New(1, in1))
	hit := map[int]bool{}
	if err := set.Broadcast(func(s *Shard) { hit[s.ID] = true }); err != nil {
		t.Fatal(err)
	}
	(<-in0.C)()
	(<-in1.C)()
	if !hit[0] || !hit[1] {
		t.Fatalf("hit = %v", hit)
	}
}
