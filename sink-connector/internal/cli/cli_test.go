package cli

import "testing"

func TestAllowZeroDates(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		changed  bool
	}{
		{"STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO", "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO", true},
		{"STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION", "STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION", false},
		{"NO_ZERO_DATE", "", true},
		{"", "", false},
		{"NO_ZERO_DATE,x'; DROP", "NO_ZERO_DATE,x'; DROP", false},
	} {
		got, changed := allowZeroDates(tc.in)
		if got != tc.want || changed != tc.changed {
			t.Errorf("%q: %q %v, want %q %v", tc.in, got, changed, tc.want, tc.changed)
		}
	}
}
