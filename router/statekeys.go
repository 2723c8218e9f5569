package router

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"time"
)

// The keys of modern requestState blobs (mrtr.go). Servers behind one load
// balancer must share them, since a retried request may reach any of them.
// Rotation: the first key signs, every listed key verifies, and a key that
// stops being listed still verifies for RequestStateTTL — the longest a
// state it signed can still be presented — so rotating never breaks a
// round trip in progress. To rotate replicas one by one without a window
// where one signs what another cannot open, first list the new key second
// everywhere, then first.

// MinStateKeyBytes is the shortest state key accepted: HMAC-SHA256 wants at
// least its output size.
const MinStateKeyBytes = 32

// ErrShortStateKey rejects a requestState key under MinStateKeyBytes.
var ErrShortStateKey = errors.New("a requestState key needs at least 32 bytes")

// stateKeyring is an immutable set of keys, swapped whole.
type stateKeyring struct {
	sign    []byte
	verify  [][]byte
	retired []retiredKey
}

type retiredKey struct {
	key   []byte
	until time.Time
}

func randomStateKey() []byte {
	k := make([]byte, MinStateKeyBytes)
	if _, err := rand.Read(k); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return k
}

// SetStateKeys makes keys[0] sign requestState blobs and every key verify
// them; keys no longer listed keep verifying for RequestStateTTL. Safe at
// any time.
func (r *Router) SetStateKeys(keys ...[]byte) error {
	if len(keys) == 0 {
		return errors.New("no requestState key")
	}
	ring := &stateKeyring{}
	for _, k := range keys {
		if len(k) < MinStateKeyBytes {
			return ErrShortStateKey
		}
		ring.verify = append(ring.verify, append([]byte(nil), k...))
	}
	ring.sign = ring.verify[0]
	r.keyMu.Lock()
	defer r.keyMu.Unlock()
	now := time.Now()
	if old := r.keys.Load(); old != nil {
		keep := func(k []byte, until time.Time) {
			if until.After(now) && !ring.has(k) {
				ring.retired = append(ring.retired, retiredKey{key: k, until: until})
			}
		}
		for _, k := range old.verify {
			keep(k, now.Add(RequestStateTTL))
		}
		for _, rk := range old.retired {
			keep(rk.key, rk.until)
		}
	}
	r.keys.Store(ring)
	return nil
}

// SetStateKey makes key the one that signs requestState blobs (the keys it
// replaces keep verifying for RequestStateTTL). A cluster node calls it
// with the key every node shares.
func (r *Router) SetStateKey(key []byte) {
	if len(key) == 0 {
		return
	}
	if len(key) < MinStateKeyBytes {
		// A short shared key still signs: stretch it, as every node does.
		sum := sha256.Sum256(key)
		key = sum[:]
	}
	_ = r.SetStateKeys(key)
}

func (ring *stateKeyring) has(k []byte) bool {
	for _, v := range ring.verify {
		if hmac.Equal(v, k) {
			return true
		}
	}
	return false
}

// stateMAC returns HMAC-SHA256 of payload under key.
func stateMAC(key, payload []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(payload)
	return mac.Sum(nil)
}

// verifyState reports whether sum is payload's MAC under a key in force.
func (r *Router) verifyState(payload, sum []byte) bool {
	ring := r.keys.Load()
	for _, k := range ring.verify {
		if hmac.Equal(sum, stateMAC(k, payload)) {
			return true
		}
	}
	now := time.Now()
	for _, rk := range ring.retired {
		if now.Before(rk.until) && hmac.Equal(sum, stateMAC(rk.key, payload)) {
			return true
		}
	}
	return false
}
