package schema

import (
	"math"
	"math/bits"
)

// maxExponent saturates JSON exponents. A number's magnitude is compared by
// its decimal point position, which is the digit count plus the exponent;
// saturating at 10^15 keeps that sum far from int64 overflow while no JSON
// text that fits in memory can tell a saturated exponent from the real one
// unless both sides use exponents beyond it.
const maxExponent = 1_000_000_000_000_000

// decimal is a JSON number read in place: its significant digits stay in
// the source bytes and are addressed through digit(k). The value is
//
//	(-1)^neg × 0.d₀d₁…d₍nsig−1₎ × 10^point
//
// with no leading or trailing zero digit, so equal values have equal
// (neg, point, digits) and comparisons are exact for any length — integers
// beyond 2^53 and long fractions included — without math/big.
type decimal struct {
	raw        []byte
	neg        bool
	intDigits  []byte // digits before '.', as written
	fracDigits []byte // digits after '.', as written
	lead       int    // index of the first significant digit in intDigits+fracDigits
	nsig       int    // number of significant digits; 0 means the value is zero
	point      int64
}

// parseDecimal reads a JSON number literal. The literal is trusted to be
// valid JSON; malformed input yields some value without panicking.
func parseDecimal(raw []byte) decimal {
	d := decimal{raw: raw}
	i := 0
	if i < len(raw) && raw[i] == '-' {
		d.neg = true
		i++
	}
	s := i
	for i < len(raw) && isDigit(raw[i]) {
		i++
	}
	d.intDigits = raw[s:i]
	if i < len(raw) && raw[i] == '.' {
		i++
		s = i
		for i < len(raw) && isDigit(raw[i]) {
			i++
		}
		d.fracDigits = raw[s:i]
	}
	var exp int64
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		eneg := false
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			eneg = raw[i] == '-'
			i++
		}
		for ; i < len(raw) && isDigit(raw[i]); i++ {
			if exp < maxExponent {
				exp = exp*10 + int64(raw[i]-'0')
			}
		}
		exp = min(exp, maxExponent)
		if eneg {
			exp = -exp
		}
	}
	total := len(d.intDigits) + len(d.fracDigits)
	lead := 0
	for lead < total && d.at(lead) == '0' {
		lead++
	}
	last := total
	for last > lead && d.at(last-1) == '0' {
		last--
	}
	d.lead = lead
	d.nsig = last - lead
	d.point = int64(len(d.intDigits)-lead) + exp
	return d
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// at returns digit i of intDigits+fracDigits as written.
func (d *decimal) at(i int) byte {
	if i < len(d.intDigits) {
		return d.intDigits[i]
	}
	return d.fracDigits[i-len(d.intDigits)]
}

// digit returns significant digit k as a value 0..9.
func (d *decimal) digit(k int) byte { return d.at(d.lead+k) - '0' }

func (d *decimal) isZero() bool { return d.nsig == 0 }

// isInteger reports a zero fractional part: 1.0 and 1e2 are integers.
func (d *decimal) isInteger() bool { return d.nsig == 0 || d.point >= int64(d.nsig) }

// saturatedInt returns a non-negative integer value, saturating at
// math.MaxInt (a maxLength of 1e30 means "no limit" in practice).
func (d *decimal) saturatedInt() int {
	if d.nsig == 0 {
		return 0
	}
	if d.point > 18 {
		return math.MaxInt
	}
	var v int64
	for k := 0; k < int(d.point); k++ {
		v *= 10
		if k < d.nsig {
			v += int64(d.digit(k))
		}
	}
	return int(min(v, math.MaxInt))
}

// cmpDecimal returns -1, 0 or +1 as a <, =, > b. -0 equals 0.
func cmpDecimal(a, b *decimal) int {
	sa, sb := a.sign(), b.sign()
	if sa != sb {
		if sa < sb {
			return -1
		}
		return 1
	}
	if sa == 0 {
		return 0
	}
	return sa * cmpMagnitude(a, b)
}

func (d *decimal) sign() int {
	switch {
	case d.nsig == 0:
		return 0
	case d.neg:
		return -1
	}
	return 1
}

// cmpMagnitude compares |a| and |b| for non-zero a and b.
func cmpMagnitude(a, b *decimal) int {
	if a.point != b.point {
		if a.point < b.point {
			return -1
		}
		return 1
	}
	for k := 0; k < a.nsig && k < b.nsig; k++ {
		if da, db := a.digit(k), b.digit(k); da != db {
			if da < db {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.nsig < b.nsig:
		return -1
	case a.nsig > b.nsig:
		return 1
	}
	return 0
}

// maxDivisorDigits bounds the significant digits of multipleOf so that its
// significand fits a uint64 and the check needs no math/big: 19 decimal
// digits always fit in 64 bits.
const maxDivisorDigits = 19

// divisor is a compiled multipleOf value m = sig × 10^scale with sig > 0.
type divisor struct {
	sig   uint64
	scale int64
	raw   []byte
}

// newDivisor compiles a positive decimal with at most maxDivisorDigits
// significant digits.
func newDivisor(d *decimal) divisor {
	var sig uint64
	for k := 0; k < d.nsig; k++ {
		sig = sig*10 + uint64(d.digit(k))
	}
	return divisor{sig: sig, scale: d.point - int64(d.nsig), raw: d.raw}
}

// divides reports whether v / m is an integer, exactly. With v = V × 10^a
// and m = M × 10^b, v/m = (V/M) × 10^(a−b). V has no trailing zero digit,
// so for a < b the quotient is never an integer (10 does not divide V);
// for a ≥ b it is one iff M divides V × 10^(a−b), computed mod M over V's
// digits, so V may have any number of digits.
func (m *divisor) divides(v *decimal) bool {
	if v.isZero() {
		return true
	}
	e := (v.point - int64(v.nsig)) - m.scale
	if e < 0 {
		return false
	}
	var r uint64
	for k := 0; k < v.nsig; k++ {
		r = mulAddMod(r, 10, uint64(v.digit(k)), m.sig)
	}
	return mulAddMod(r, powMod(10, e, m.sig), 0, m.sig) == 0
}

// mulAddMod returns (a×b + c) mod m without overflow.
func mulAddMod(a, b, c, m uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	lo, carry := bits.Add64(lo, c, 0)
	hi += carry
	return bits.Rem64(hi%m, lo, m)
}

// powMod returns base^e mod m by square and multiply.
func powMod(base uint64, e int64, m uint64) uint64 {
	result := uint64(1) % m
	base %= m
	for e > 0 {
		if e&1 == 1 {
			result = mulAddMod(result, base, 0, m)
		}
		base = mulAddMod(base, base, 0, m)
		e >>= 1
	}
	return result
}
