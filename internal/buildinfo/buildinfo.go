// Package buildinfo reports what a tandem binary was built from. It is the one piece of code both daemons
// share outside envelope/ and schemas/: a version string has no place in the wire-format packages.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is the release version, set at build time with
// -ldflags "-X github.com/tandemcdc/tandem/internal/buildinfo.Version=…"; "dev" otherwise.
var Version = "dev"

// String returns "<name> <version> (commit <rev>, <go version>)".
func String(name string) string {
	return fmt.Sprintf("%s %s (commit %s, %s)", name, Version, commit(), runtime.Version())
}

// commit returns the VCS revision the binary was built from, with "-dirty" when the tree had changes.
func commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// Command returns the `version` subcommand of the binary called name.
func Command(name string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), String(name))
		},
	}
}
