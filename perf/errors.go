package perf

import "errors"

// ErrNotLoopback is returned for a target address outside 127.0.0.0/8, ::1 and
// "localhost": the generator only ever loads servers on this machine.
var ErrNotLoopback = errors.New("target address is not a loopback address")

// ErrBadAddress is returned for a target address that is not host:port.
var ErrBadAddress = errors.New("target address must be host:port")

// ErrOutOfBounds is returned when a flag exceeds a named limit (duration, connections,
// pipelining depth, rate, text size).
var ErrOutOfBounds = errors.New("flag out of bounds")

// ErrBadFlag is returned for a flag value the generator does not understand.
var ErrBadFlag = errors.New("bad flag value")

// ErrSetup is returned when connections could not be opened or their sessions initialised.
var ErrSetup = errors.New("cannot set up connections")

// ErrNoURing is returned when --io uring is asked for and the kernel refuses a ring.
var ErrNoURing = errors.New("io_uring is not available")

// ErrNoCapacity is returned when an overload run's capacity run answered no call well, so
// there is nothing to take multiples of.
var ErrNoCapacity = errors.New("no capacity measured")
