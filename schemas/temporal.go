package schemas

import (
	"fmt"
	"strings"
	"time"
)

// parseDate reads "YYYY-MM-DD" into days since 1970-01-01. zero is true for MySQL's zero dates
// (year, month or day 0), which have no day number.
func parseDate(s string) (days int32, zero bool, err error) {
	y, m, d, err := splitDate(s)
	if err != nil {
		return 0, false, err
	}
	if m == 0 || d == 0 {
		return 0, true, nil
	}
	return int32(daysFromCivil(y, m, d)), false, nil
}

func splitDate(s string) (y, m, d int, err error) {
	// YYYY-MM-DD; go-mysql always writes four, two and two digits.
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, 0, 0, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	if m > 12 || d > 31 {
		return 0, 0, 0, fmt.Errorf("date %q is out of range", s)
	}
	return y, m, d, nil
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseDateTime reads "YYYY-MM-DD HH:MM:SS[.ffffff]" as a wall-clock time taken as UTC, in microseconds
// since the epoch. zero is true for zero dates.
func parseDateTime(s string) (micros int64, zero bool, err error) {
	date, clock, ok := strings.Cut(s, " ")
	if !ok {
		clock = "00:00:00"
	}
	days, zero, err := parseDate(date)
	if err != nil || zero {
		return 0, zero, err
	}
	us, err := parseClock(clock, false)
	if err != nil {
		return 0, false, fmt.Errorf("datetime %q: %w", s, err)
	}
	return int64(days)*86400e6 + us, false, nil
}

// parseTime reads MySQL TIME text ("-838:59:59", "12:00:00.5") into microseconds.
func parseTime(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	us, err := parseClock(strings.TrimPrefix(s, "-"), true)
	if err != nil {
		return 0, fmt.Errorf("time %q: %w", s, err)
	}
	if neg {
		us = -us
	}
	return us, nil
}

// parseClock reads "HH:MM:SS[.f…]"; hours may exceed 23 when long is set (TIME).
func parseClock(s string, long bool) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	h1 := strings.IndexByte(whole, ':')
	if h1 < 1 || len(whole) != h1+6 || whole[h1+3] != ':' {
		return 0, fmt.Errorf("want HH:MM:SS")
	}
	h, ok1 := digits(whole[:h1])
	m, ok2 := digits(whole[h1+1 : h1+3])
	sec, ok3 := digits(whole[h1+4:])
	if !ok1 || !ok2 || !ok3 {
		return 0, fmt.Errorf("want HH:MM:SS")
	}
	if (!long && h > 23) || h > 838 || m > 59 || sec > 59 {
		return 0, fmt.Errorf("out of range")
	}
	var us int
	if frac != "" {
		if len(frac) > 6 {
			frac = frac[:6]
		}
		f, ok := digits(frac)
		if !ok {
			return 0, fmt.Errorf("bad fraction")
		}
		for i := len(frac); i < 6; i++ {
			f *= 10
		}
		us = f
	}
	return (int64(h)*3600+int64(m)*60+int64(sec))*1e6 + int64(us), nil
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := int64(y - era*400)
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + doe - 719468
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// formatDate writes days since the epoch as "YYYY-MM-DD".
func formatDate(days int64) string {
	return time.Unix(days*86400, 0).UTC().Format("2006-01-02")
}

// formatDateTime writes microseconds since the epoch as "YYYY-MM-DD HH:MM:SS.ffffff" (UTC wall clock).
func formatDateTime(micros int64) string {
	return time.UnixMicro(micros).UTC().Format("2006-01-02 15:04:05.000000")
}

// formatDuration writes microseconds as MySQL TIME text "[-]H:MM:SS.ffffff".
func formatDuration(us int64) string {
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	s := us / 1e6
	return fmt.Sprintf("%s%d:%02d:%02d.%06d", sign, s/3600, s/60%60, s%60, us%1e6)
}
