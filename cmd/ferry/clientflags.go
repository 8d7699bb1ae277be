package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

// clientFlags are --server and --token, shared by the client commands.
type clientFlags struct {
	server, token string
}

func (f *clientFlags) register(cmd *cobra.Command, scope string) {
	cmd.Flags().StringVar(&f.server, "server", "", "Ferry's URL (default $FERRY_SERVER or http://127.0.0.1:8080)")
	cmd.Flags().StringVar(&f.token, "token", "", fmt.Sprintf("API token with %s (default $FERRY_TOKEN)", scope))
}

func (f *clientFlags) client(timeout time.Duration) *client {
	return newClient(f.server, f.token, timeout)
}

// age says how long ago t was, as kubectl does: 45s, 12m, 5h, 3d.
func age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
