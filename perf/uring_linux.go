//go:build linux

package perf

// The generator's io_uring transport for the measured phase of a run.
//
// Why: on this VM a syscall's entry and exit cost about 1.5 µs (a paravirtualised guest,
// where every kernel entry goes through the hypervisor). The epoll path makes about 2.2
// syscalls per call at one call in flight — read, write and a share of epoll_wait — which
// is a quarter of the generator's CPU. With io_uring one io_uring_enter submits every send
// queued in a pass and collects every answer that arrived since the last: each connection
// keeps one multishot recv armed, whose data lands in a ring of buffers shared by all the
// worker's connections. The kernel's TCP work per call is unchanged; only the crossings go.
//
// This file and epoll_linux.go are the package's only unsafe code: both share memory with
// the kernel. No library: the Go io_uring packages are either unmaintained or wrap far more
// than the two operations used here, and this is the generator's hot path.

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Kernel ABI values (include/uapi/linux/io_uring.h).
const (
	sysIOUringSetup    = 425
	sysIOUringEnter    = 426
	sysIOUringRegister = 427

	uringOpSend = 26
	uringOpRecv = 27

	uringSQEBufferSelect = 1 << 5 // IOSQE_BUFFER_SELECT
	uringRecvMultishot   = 1 << 1 // IORING_RECV_MULTISHOT, in sqe.ioprio

	uringCQEFBuffer     = 1 << 0 // IORING_CQE_F_BUFFER: the buffer id is in flags >> 16
	uringCQEFMore       = 1 << 1 // IORING_CQE_F_MORE: the multishot recv stays armed
	uringCQEBufferShift = 16

	uringEnterGetEvents = 1 << 0
	uringEnterExtArg    = 1 << 3

	uringSetupCQSize        = 1 << 3
	uringSetupSubmitAll     = 1 << 7
	uringSetupSingleIssuer  = 1 << 12
	uringSetupDeferTaskrun  = 1 << 13
	uringFeatSingleMmap     = 1 << 0
	uringFeatNoDrop         = 1 << 1
	uringFeatExtArg         = 1 << 8
	uringRegisterPbufRing   = 22
	uringOffSQRing          = 0
	uringOffSQEs            = 0x10000000
	uringBufGroup           = 0
	uringSQEntries          = 4096
	uringCQEntries          = 65536 // room for a recv and a send completion per connection
	uringBufCount           = 4096  // power of two, at most 32768
	uringBufSize            = 16 << 10
	uringUserDataKindBits   = 8
	uringUserDataKindRecv   = 1
	uringUserDataKindSend   = 2
	uringUserDataKindMask   = 1<<uringUserDataKindBits - 1
	uringNeededFeatures     = uringFeatSingleMmap | uringFeatNoDrop | uringFeatExtArg
	uringCQEntrySize        = 16
	uringSQEntrySize        = 64
	uringBufEntrySize       = 16
	uringSQArrayElementSize = 4
)

type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

type uringSQE struct {
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64
	addr        uint64
	len         uint32
	opFlags     uint32
	userData    uint64
	bufGroup    uint16
	personality uint16
	spliceFdIn  int32
	addr3       uint64
	pad         uint64
}

type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

type uringBuf struct {
	addr uint64
	len  uint32
	bid  uint16
	resv uint16 // in entry 0 this is the ring's tail
}

type uringBufReg struct {
	ringAddr    uint64
	ringEntries uint32
	bgid        uint16
	pad         uint16
	resv        [3]uint64
}

type uringGetEventsArg struct {
	sigmask   uint64
	sigmaskSz uint32
	minWaitUs uint32
	ts        uint64
}

// uring is one io_uring instance with a provided-buffer ring, owned by one worker goroutine
// locked to its thread (the ring is created single-issuer with deferred task work).
type uring struct {
	fd     int
	rings  []byte // SQ and CQ rings: one mapping (IORING_FEAT_SINGLE_MMAP)
	sqeMem []byte

	sqHead, sqTail *uint32
	sqMask         uint32
	sqEntries      uint32
	sqes           []uringSQE
	tail           uint32 // the next SQE to fill; the kernel sees it at enter

	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           []uringCQE

	bufRing  []byte // the provided-buffer ring the kernel reads
	bufs     []uringBuf
	bufMem   []byte // uringBufCount buffers of uringBufSize bytes
	bufTail  uint16
	bufMask  uint16
	bufDirty bool

	ts  unix.Timespec
	arg uringGetEventsArg
}

// newURing sets up a ring and registers its buffers. The ring is single-issuer: only the
// thread that created it may register or enter, so the caller that will submit must already
// be locked to its thread; the lock here covers setup and registration for a probe.
func newURing() (*uring, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := uringParams{flags: uringSetupCQSize | uringSetupSubmitAll | uringSetupSingleIssuer | uringSetupDeferTaskrun,
		cqEntries: uringCQEntries}
	fd, _, e := unix.RawSyscall(sysIOUringSetup, uringSQEntries, uintptr(unsafe.Pointer(&p)), 0)
	if e == unix.EINVAL { // before Linux 6.1: no deferred task work
		p = uringParams{flags: uringSetupCQSize, cqEntries: uringCQEntries}
		fd, _, e = unix.RawSyscall(sysIOUringSetup, uringSQEntries, uintptr(unsafe.Pointer(&p)), 0)
	}
	if e != 0 {
		return nil, fmt.Errorf("%w: io_uring_setup: %v", ErrNoURing, e)
	}
	r := &uring{fd: int(fd)}
	if err := r.init(&p); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *uring) init(p *uringParams) error {
	if p.features&uringNeededFeatures != uringNeededFeatures {
		return fmt.Errorf("%w: kernel lacks single mmap, no-drop or extended wait arguments (features %#x)", ErrNoURing, p.features)
	}
	size := max(p.sqOff.array+p.sqEntries*uringSQArrayElementSize, p.cqOff.cqes+p.cqEntries*uringCQEntrySize)
	var err error
	if r.rings, err = unix.Mmap(r.fd, uringOffSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return fmt.Errorf("%w: mmap rings: %v", ErrNoURing, err)
	}
	if r.sqeMem, err = unix.Mmap(r.fd, uringOffSQEs, int(p.sqEntries*uringSQEntrySize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE); err != nil {
		return fmt.Errorf("%w: mmap SQEs: %v", ErrNoURing, err)
	}
	r.sqHead = (*uint32)(unsafe.Pointer(&r.rings[p.sqOff.head]))
	r.sqTail = (*uint32)(unsafe.Pointer(&r.rings[p.sqOff.tail]))
	r.sqMask = *(*uint32)(unsafe.Pointer(&r.rings[p.sqOff.ringMask]))
	r.sqEntries = p.sqEntries
	r.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	array := unsafe.Slice((*uint32)(unsafe.Pointer(&r.rings[p.sqOff.array])), p.sqEntries)
	for i := range array {
		array[i] = uint32(i) // SQE i is always slot i: the indirection is not used
	}
	r.tail = *r.sqTail
	r.cqHead = (*uint32)(unsafe.Pointer(&r.rings[p.cqOff.head]))
	r.cqTail = (*uint32)(unsafe.Pointer(&r.rings[p.cqOff.tail]))
	r.cqMask = *(*uint32)(unsafe.Pointer(&r.rings[p.cqOff.ringMask]))
	r.cqes = unsafe.Slice((*uringCQE)(unsafe.Pointer(&r.rings[p.cqOff.cqes])), p.cqEntries)

	if r.bufRing, err = unix.Mmap(-1, 0, uringBufCount*uringBufEntrySize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE); err != nil {
		return fmt.Errorf("%w: mmap buffer ring: %v", ErrNoURing, err)
	}
	if r.bufMem, err = unix.Mmap(-1, 0, uringBufCount*uringBufSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS); err != nil {
		return fmt.Errorf("%w: mmap buffers: %v", ErrNoURing, err)
	}
	r.bufs = unsafe.Slice((*uringBuf)(unsafe.Pointer(&r.bufRing[0])), uringBufCount)
	r.bufMask = uringBufCount - 1
	reg := uringBufReg{ringAddr: uint64(uintptr(unsafe.Pointer(&r.bufRing[0]))), ringEntries: uringBufCount, bgid: uringBufGroup}
	if _, _, e := unix.RawSyscall6(sysIOUringRegister, uintptr(r.fd), uringRegisterPbufRing, uintptr(unsafe.Pointer(&reg)), 1, 0, 0); e != 0 {
		return fmt.Errorf("%w: register buffer ring: %v", ErrNoURing, e)
	}
	for i := range uringBufCount {
		r.provide(uint16(i))
	}
	r.publishBufs()
	return nil
}

// close unmaps and closes the ring. Sockets the ring still holds are released with it.
func (r *uring) close() {
	for _, m := range [][]byte{r.rings, r.sqeMem, r.bufRing, r.bufMem} {
		if m != nil {
			_ = unix.Munmap(m)
		}
	}
	r.rings, r.sqeMem, r.bufRing, r.bufMem = nil, nil, nil, nil
	_ = unix.Close(r.fd)
}

// sqe returns a zeroed submission entry, submitting what is queued when the queue is full.
func (r *uring) sqe() *uringSQE {
	if r.tail-atomic.LoadUint32(r.sqHead) == r.sqEntries {
		if err := r.enter(0, 0); err != nil {
			panic("BUG: io_uring_enter: " + err.Error())
		}
	}
	s := &r.sqes[r.tail&r.sqMask]
	*s = uringSQE{}
	r.tail++
	return s
}

// recv arms a multishot recv on fd: every arrival completes with a buffer from the ring
// until the recv ends (no F_MORE), when it is armed again.
func (r *uring) recv(fd int, userData uint64) {
	s := r.sqe()
	s.opcode = uringOpRecv
	s.fd = int32(fd)
	s.ioprio = uringRecvMultishot
	s.flags = uringSQEBufferSelect
	s.bufGroup = uringBufGroup
	s.userData = userData
}

// send queues a send of b, which must stay untouched until its completion.
func (r *uring) send(fd int, b []byte, userData uint64) {
	s := r.sqe()
	s.opcode = uringOpSend
	s.fd = int32(fd)
	s.addr = uint64(uintptr(unsafe.Pointer(&b[0])))
	s.len = uint32(len(b))
	s.opFlags = unix.MSG_NOSIGNAL
	s.userData = userData
}

// enter submits every queued entry and, when minComplete > 0, waits up to wait for that many
// completions. A timeout or a signal is not an error.
func (r *uring) enter(minComplete uint32, wait time.Duration) error {
	atomic.StoreUint32(r.sqTail, r.tail)
	toSubmit := r.tail - atomic.LoadUint32(r.sqHead)
	r.ts = unix.NsecToTimespec(int64(max(wait, 0)))
	r.arg = uringGetEventsArg{ts: uint64(uintptr(unsafe.Pointer(&r.ts)))}
	_, _, e := unix.Syscall6(sysIOUringEnter, uintptr(r.fd), uintptr(toSubmit), uintptr(minComplete),
		uringEnterGetEvents|uringEnterExtArg, uintptr(unsafe.Pointer(&r.arg)), unsafe.Sizeof(r.arg))
	switch e {
	case 0, unix.ETIME, unix.EINTR, unix.EAGAIN, unix.EBUSY:
		return nil
	}
	return e
}

// completions returns the completions posted since the last call, in order; the caller
// hands them back with consumed before the next enter.
func (r *uring) completions() (head, tail uint32) {
	return *r.cqHead, atomic.LoadUint32(r.cqTail)
}

func (r *uring) cqe(i uint32) uringCQE { return r.cqes[i&r.cqMask] }

func (r *uring) consumed(tail uint32) {
	atomic.StoreUint32(r.cqHead, tail)
	r.publishBufs()
}

// buf returns the first n bytes of buffer bid.
func (r *uring) buf(bid uint16, n int) []byte {
	off := int(bid) * uringBufSize
	return r.bufMem[off : off+n : off+uringBufSize]
}

// provide puts buffer bid back in the ring; the kernel sees it at the next publishBufs.
// Entry 0's last two bytes are the ring's tail, so fields are written one by one.
func (r *uring) provide(bid uint16) {
	b := &r.bufs[r.bufTail&r.bufMask]
	b.addr = uint64(uintptr(unsafe.Pointer(&r.bufMem[int(bid)*uringBufSize])))
	b.len = uringBufSize
	b.bid = bid
	r.bufTail++
	r.bufDirty = true
}

// publishBufs stores the buffer ring's tail with release order. The tail shares a 32-bit
// word with entry 0's bid (ours, unchanged), so the store is one atomic word.
func (r *uring) publishBufs() {
	if !r.bufDirty {
		return
	}
	r.bufDirty = false
	word := (*uint32)(unsafe.Pointer(&r.bufs[0].bid))
	atomic.StoreUint32(word, uint32(r.bufTail)<<16|uint32(r.bufs[0].bid))
}
