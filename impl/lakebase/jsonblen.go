package lakebase

// jsonbLength returns how long value, valid JSON, is at most once stored as
// jsonb and read back. jsonb writes every number out in plain notation with
// all its digits (`1e3` is `1000`, `1e-3` is `0.001`) and a space after each
// comma and colon, and drops the whitespace that was sent; that whitespace
// is counted here all the same, and so is the minus sign of a negative
// zero, which jsonb drops too. Without this bound, a value of a few bytes
// could be stored and read back as megabytes: `1e131071` is 131,072
// characters long as jsonb.
func jsonbLength(value []byte) int {
	n := len(value)
	for i := 0; i < len(value); {
		switch c := value[i]; {
		case c == '"':
			i = stringEnd(value, i)
		case c == '-' || '0' <= c && c <= '9':
			end, written := plainNumber(value, i)
			n += written - (end - i)
			i = end
		case c == ',' || c == ':':
			n++ // jsonb's space after it
			i++
		default:
			i++
		}
	}
	return n
}

// stringEnd returns the index just after the JSON string that starts at
// value[start].
func stringEnd(value []byte, start int) int {
	for i := start + 1; i < len(value); i++ {
		switch value[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(value)
}

// maxExponent caps the exponents counted: far beyond any length a value may
// have, and far from overflowing an int.
const maxExponent = 1 << 30

// plainNumber reads the JSON number at value[start] and returns the index
// just after it and its length in plain notation: a sign, the digits of its
// integer part (at least one) and, when it has a fractional part, a point
// and as many digits as the number has after its point once its exponent is
// applied, as Postgres' numeric keeps them (`1.50e1` is `15.0`).
func plainNumber(value []byte, start int) (end, written int) {
	i := start
	if value[i] == '-' {
		written++ // "-0" is written "0": counted one long
		i++
	}
	significant := 0 // digits after the leading zeros
	digits := func() int {
		from := i
		for ; i < len(value) && '0' <= value[i] && value[i] <= '9'; i++ {
			if significant > 0 || value[i] != '0' {
				significant++
			}
		}
		return i - from
	}
	digits()
	fraction := 0
	if i < len(value) && value[i] == '.' {
		i++
		fraction = digits()
	}
	exponent := 0
	if i < len(value) && (value[i] == 'e' || value[i] == 'E') {
		i++
		negative := i < len(value) && value[i] == '-'
		if i < len(value) && (value[i] == '-' || value[i] == '+') {
			i++
		}
		for ; i < len(value) && '0' <= value[i] && value[i] <= '9'; i++ {
			exponent = min(exponent*10+int(value[i]-'0'), maxExponent)
		}
		if negative {
			exponent = -exponent
		}
	}
	// The number is significant×10^(exponent-fraction), with its digits
	// after the point: scale of them.
	scale := max(fraction-exponent, 0)
	integer := 1
	if significant > 0 {
		integer = max(significant+exponent-fraction, 1)
	}
	written += integer
	if scale > 0 {
		written += 1 + scale
	}
	return i, written
}
