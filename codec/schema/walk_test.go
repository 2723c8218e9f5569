package schema

import (
	"math/big"
	"strings"
	"testing"
)

func TestMembers(t *testing.T) {
	f := func(obj, want string) {
		t.Helper()
		var got []string
		it := newMembers([]byte(obj))
		for {
			k, v, ok := it.next()
			if !ok {
				break
			}
			got = append(got, string(k)+"="+string(v))
		}
		if s := strings.Join(got, " "); s != want {
			t.Fatalf("members(%s) = %q, want %q", obj, s, want)
		}
	}
	f(`{}`, ``)
	f(`{ }`, ``)
	f(`{"a":1}`, `"a"=1`)
	f(` { "a" : "x\"}" , "b\\" :[1,{"c":[]}],"d":{"e":null} } `[1:], `"a"="x\"}" "b\\"=[1,{"c":[]}] "d"={"e":null}`)
	f(`{"a":-1.5e+3,"b":true,"c":false}`, `"a"=-1.5e+3 "b"=true "c"=false`)
}

func TestElements(t *testing.T) {
	f := func(arr, want string) {
		t.Helper()
		var got []string
		it := newElements([]byte(arr))
		for {
			v, ok := it.next()
			if !ok {
				break
			}
			got = append(got, string(v))
		}
		if s := strings.Join(got, " "); s != want {
			t.Fatalf("elements(%s) = %q, want %q", arr, s, want)
		}
	}
	f(`[]`, ``)
	f(`[ ]`, ``)
	f(`[1]`, `1`)
	f(`[ 1 , "a]" , [2,[3]] , {"x":"]"} , null ]`, `1 "a]" [2,[3]] {"x":"]"} null`)
}

func TestStrings_Unescape(t *testing.T) {
	f := func(content, want string, runes int) {
		t.Helper()
		if got := string(appendUnescaped(nil, []byte(content))); got != want {
			t.Fatalf("unescape(%s) = %q, want %q", content, got, want)
		}
		if got := runeCount([]byte(content)); got != runes {
			t.Fatalf("runeCount(%s) = %d, want %d", content, got, runes)
		}
	}
	f(`abc`, "abc", 3)
	f(`a\"b\\c\/d`, `a"b\c/d`, 7)
	f(`\b\f\n\r\t`, "\b\f\n\r\t", 5)
	f(`\u0041\u00e9\u4e2d`, "Aé中", 3)
	f(`\uD83D\uDE00x`, "😀x", 2)
	f(`\ud83dx`, "\uFFFDx", 2)      // lone high surrogate
	f(`\ude00`, "\uFFFD", 1)        // lone low surrogate
	f(`\ud83d\u0041`, "\uFFFDA", 2) // high surrogate then a non-surrogate
	f(`é😀`, "é😀", 2)
}

func TestEqualContent(t *testing.T) {
	f := func(a, b string, want bool) {
		t.Helper()
		if got := equalContent([]byte(a), []byte(b)); got != want {
			t.Fatalf("equalContent(%s, %s) = %v", a, b, got)
		}
	}
	f(`abc`, `abc`, true)
	f(`abc`, `abd`, false)
	f(`abc`, `ab`, false)
	f(`\u0061bc`, `abc`, true)
	f(`a\/b`, `a/b`, true)
	f(`\ud83d\ude00`, `😀`, true)
	f(`\u0061b`, `a`, false)
}

func TestDecimal(t *testing.T) {
	f := func(a, b string) {
		t.Helper()
		ra, _ := new(big.Rat).SetString(a)
		rb, _ := new(big.Rat).SetString(b)
		da, db := parseDecimal([]byte(a)), parseDecimal([]byte(b))
		if got, want := cmpDecimal(&da, &db), ra.Cmp(rb); got != want {
			t.Fatalf("cmp(%s, %s) = %d, want %d", a, b, got, want)
		}
		if got, want := cmpDecimal(&db, &da), rb.Cmp(ra); got != want {
			t.Fatalf("cmp(%s, %s) = %d, want %d", b, a, got, want)
		}
		if got, want := da.isInteger(), ra.IsInt(); got != want {
			t.Fatalf("isInteger(%s) = %v, want %v", a, got, want)
		}
	}
	f("0", "-0")
	f("0", "0.0e10")
	f("1", "1.0")
	f("1", "10e-1")
	f("1", "2")
	f("-1", "1")
	f("-2", "-1")
	f("0.001", "1e-3")
	f("0.0011", "1e-3")
	f("123.456", "123.4560")
	f("9007199254740993", "9007199254740992")
	f("12345678901234567890123", "12345678901234567890124")
	f("1e20", "100000000000000000000")
	f("1.5", "15e-1")
	f("-0.5", "0")
	f("100", "99.999999999999999999999")
	f("0.1", "0.09")
	f("5e-324", "0")
	f("1E+2", "100")
}

func TestDivides(t *testing.T) {
	f := func(v, m string) {
		t.Helper()
		rv, _ := new(big.Rat).SetString(v)
		rm, _ := new(big.Rat).SetString(m)
		want := new(big.Rat).Quo(rv, rm).IsInt()
		dv, dm := parseDecimal([]byte(v)), parseDecimal([]byte(m))
		d := newDivisor(&dm)
		if got := d.divides(&dv); got != want {
			t.Fatalf("%s multipleOf %s = %v, want %v", v, m, got, want)
		}
	}
	for _, m := range []string{"1", "2", "3", "7", "0.1", "0.25", "1.5", "1e5", "9999999999999999999", "18446744073709551557e-10", "1e-30"} {
		for _, v := range []string{"0", "1", "-3", "3", "4.5", "0.3", "0.35", "100000", "123456789012345678901234567890",
			"1e30", "-2.5e-1", "9999999999999999999", "19999999999999999998", "36893488147419103114e-10", "1e-29", "3e-30"} {
			f(v, m)
		}
	}
}

func TestEqualJSON(t *testing.T) {
	f := func(a, b string, want bool) {
		t.Helper()
		if got := equalJSON([]byte(a), []byte(b)); got != want {
			t.Fatalf("equalJSON(%s, %s) = %v, want %v", a, b, got, want)
		}
		if want && hashJSON([]byte(a)) != hashJSON([]byte(b)) {
			t.Fatalf("equal values %s and %s hash differently", a, b)
		}
	}
	f(`1`, `1.0`, true)
	f(`1`, `"1"`, false)
	f(`null`, `null`, true)
	f(`true`, `false`, false)
	f(`"a"`, `"\u0061"`, true)
	f(`[1,[2]]`, `[1.0,[2e0]]`, true)
	f(`[1,2]`, `[2,1]`, false)
	f(`[]`, `[1]`, false)
	f(`{"a":1,"b":{"c":[]}}`, `{"b":{"c":[]},"a":1}`, true)
	f(`{"a":1}`, `{"a":1,"b":1}`, false)
	f(`{"a":1,"b":1}`, `{"a":1}`, false)
	f(`{"a":1}`, `{"b":1}`, false)
	f(`{}`, `[]`, false)
	f(`{"\u0061":[0]}`, `{"a":[-0]}`, true)
}

// stringEnd finds the closing quote 8 bytes at a time: quotes, escaped
// quotes and backslashes at every position of a long string.
func TestStringEndEveryPosition(t *testing.T) {
	slow := func(b []byte, i int) int {
		for i++; i < len(b); i++ {
			switch b[i] {
			case '"':
				return i + 1
			case '\\':
				i++
			}
		}
		return len(b)
	}
	for _, mid := range []string{`"`, `\"`, `\\`, `\\\"`, `é`, "\x00"} {
		for i := range 20 {
			for _, tail := range []string{`"`, `x"`, `xxxxxxxxxxx", 1`, `\`, ``} {
				b := []byte(`"` + strings.Repeat("a", i) + mid + strings.Repeat("b", 20-i) + tail)
				if got, want := stringEnd(b, 0), slow(b, 0); got != want {
					t.Fatalf("stringEnd(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}
