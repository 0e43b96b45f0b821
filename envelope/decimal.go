package envelope

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Decimal is the value of an org.apache.kafka.connect.data.Decimal field: Unscaled × 10^-Scale, exact.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// maxDecimalDigits bounds the digits and the exponent of a parsed decimal, far above MySQL's 65 digits, so
// hostile input cannot make a huge number.
const maxDecimalDigits = 1000

// ParseDecimal reads a plain decimal literal such as "-12345678.90", "0.00" or "42" and keeps its scale
// (the number of digits after the point). An exponent ("1E+3") is accepted too, as Jackson may write one.
func ParseDecimal(s string) (Decimal, error) {
	orig := s
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		var err error
		exp, err = parseSmallInt(s[i+1:])
		if err != nil || exp > maxDecimalDigits || exp < -maxDecimalDigits {
			return Decimal{}, fmt.Errorf("decimal %q: bad or out-of-range exponent", orig)
		}
		s = s[:i]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	digits := intPart + frac
	if digits == "" || digits == "-" || digits == "+" || (hasPoint && frac == "" && intPart == "") {
		return Decimal{}, fmt.Errorf("decimal %q: no digits", orig)
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Decimal{}, fmt.Errorf("decimal %q: not a number", orig)
	}
	scale := len(frac) - exp
	if scale > maxDecimalDigits || len(digits) > maxDecimalDigits {
		return Decimal{}, fmt.Errorf("decimal %q: more than %d digits", orig, maxDecimalDigits)
	}
	if scale < 0 {
		if len(digits)-scale > maxDecimalDigits {
			return Decimal{}, fmt.Errorf("decimal %q: more than %d digits", orig, maxDecimalDigits)
		}
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil))
		scale = 0
	}
	return Decimal{Unscaled: u, Scale: int32(scale)}, nil
}

func parseSmallInt(s string) (int, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || len(s) > 6 {
		return 0, fmt.Errorf("bad integer")
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("bad integer")
		}
		n = n*10 + int(s[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

// Rescale returns the same number with the given scale, or an error if digits would be lost.
func (d Decimal) Rescale(scale int32) (Decimal, error) {
	if d.Scale == scale {
		return d, nil
	}
	if scale > d.Scale {
		m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil)
		return Decimal{Unscaled: m.Mul(m, d.Unscaled), Scale: scale}, nil
	}
	div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale-scale)), nil)
	q, r := new(big.Int).QuoRem(d.Unscaled, div, new(big.Int))
	if r.Sign() != 0 {
		return Decimal{}, fmt.Errorf("decimal %s does not fit scale %d", d, scale)
	}
	return Decimal{Unscaled: q, Scale: scale}, nil
}

// String returns the exact plain form with Scale digits after the point, e.g. "-12345678.90".
func (d Decimal) String() string {
	if d.Unscaled == nil {
		return "0"
	}
	s := d.Unscaled.String()
	if d.Scale <= 0 {
		if d.Scale < 0 && d.Unscaled.Sign() != 0 {
			s += strings.Repeat("0", int(-d.Scale))
		}
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= int(d.Scale) {
		s = strings.Repeat("0", int(d.Scale)-len(s)+1) + s
	}
	p := len(s) - int(d.Scale)
	s = s[:p] + "." + s[p:]
	if neg {
		s = "-" + s
	}
	return s
}

// JavaString returns the form Java's BigDecimal.toString gives, which is how Kafka's JsonConverter writes
// a Decimal with decimal.format=NUMERIC: the plain form, unless the exponent is below -6, then scientific
// notation ("1E-30", "1.2E-7", "0E-30").
func (d Decimal) JavaString() string {
	if d.Unscaled == nil || d.Scale < 0 {
		return d.String()
	}
	coeff := d.Unscaled.String()
	sign := ""
	if coeff[0] == '-' {
		sign, coeff = "-", coeff[1:]
	}
	adjusted := len(coeff) - 1 - int(d.Scale)
	if adjusted >= -6 {
		return d.String()
	}
	out := sign + coeff[:1]
	if len(coeff) > 1 {
		out += "." + coeff[1:]
	}
	return out + "E" + strconv.Itoa(adjusted)
}

// twosComplement returns the unscaled value as Java's BigInteger.toByteArray does: minimal big-endian two's
// complement, at least one byte. This is the JSON (base64) and Avro form of a Connect Decimal.
func (d Decimal) twosComplement() []byte {
	u := d.Unscaled
	if u == nil || u.Sign() == 0 {
		return []byte{0}
	}
	if u.Sign() > 0 {
		b := u.Bytes()
		if b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// Negative: 2^(8n) + u for the smallest n whose top bit is set.
	n := (u.BitLen() + 8) / 8
	m := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	m.Add(m, u)
	b := m.Bytes()
	for len(b) < n {
		b = append([]byte{0xff}, b...)
	}
	// Drop redundant leading 0xff bytes, keeping the sign bit set.
	for len(b) > 1 && b[0] == 0xff && b[1]&0x80 != 0 {
		b = b[1:]
	}
	return b
}

// decimalFromTwosComplement is the inverse of twosComplement.
func decimalFromTwosComplement(b []byte, scale int32) Decimal {
	u := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return Decimal{Unscaled: u, Scale: scale}
}
