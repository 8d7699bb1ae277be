package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/certreload"
	"github.com/ferryhq/ferry/internal/config"
	notifier "github.com/ferryhq/ferry/internal/notify"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/scm/builtin"
	"github.com/ferryhq/ferry/internal/server"
	"github.com/ferryhq/ferry/internal/telemetry"
)

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve (--config FILE | --dev)",
		Short: "Run the server",
		Long: `Run Ferry's server on a config file (see README), or with --dev on an embedded
default: an in-process registry with sample images, a local bare environment
repository, SQLite, and tokens printed at start.`,
		Example: `  ferry serve --config ferry-server.yaml
  ferry serve --dev --data ./data`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return exit(runServe(o, stdout, stderr)) },
	}
	f := cmd.Flags()
	f.StringVar(&o.cfgPath, "config", "", "server config file (ferry-server.yaml)")
	f.BoolVar(&o.dev, "dev", false, "run on an embedded default: local registry, local bare repo, SQLite")
	f.StringVar(&o.dataDir, "data", "./data", "data folder (--dev)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "listen address (--dev)")
	f.StringVar(&o.regAddr, "dev-registry", "127.0.0.1:5050", "address of the in-process registry (--dev)")
	f.StringVar(&o.devConsole, "dev-console", "", "YAML file with a server config's console: block, e.g. single sign-on (--dev)")
	_ = cmd.MarkFlagFilename("config", "yaml", "yml")
	_ = cmd.MarkFlagDirname("data")
	return cmd
}

type serveOptions struct {
	cfgPath, dataDir, listen, regAddr string
	devConsole                        string
	dev                               bool
}

func runServe(o serveOptions, stdout, stderr io.Writer) int {
	cfgPath, dev, dataDir, listen, regAddr := &o.cfgPath, &o.dev, &o.dataDir, &o.listen, &o.regAddr
	if (*cfgPath == "") == !*dev {
		fmt.Fprintln(stderr, "ferry serve: give --config FILE, or --dev")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var (
		cfg    *config.Server
		banner func(addr string)
		err    error
	)
	if *dev {
		var d *devEnv
		d, err = startDev(ctx, *dataDir, *listen, *regAddr)
		if err == nil && o.devConsole != "" {
			err = d.withConsole(o.devConsole)
		}
		if err == nil {
			defer d.Close()
			cfg, banner = d.cfg, func(addr string) { d.printBanner(stdout, addr) }
		}
	} else {
		cfg, err = config.LoadServer(*cfgPath)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ferry serve: %v\n", err)
		return 1
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		fmt.Fprintf(stderr, "ferry serve: %v\n", err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	if err := serve(ctx, cfg, *cfgPath, log, banner); err != nil {
		log.Error("serve", zap.Error(err))
		fmt.Fprintf(stderr, "ferry serve: %v\n", err)
		return 1
	}
	return 0
}

// serve wires the store, registry, repositories, engine and HTTP server from
// cfg and runs them until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, cfg *config.Server, cfgPath string, log *zap.Logger, banner func(string)) error {
	reg := prometheus.NewRegistry()
	rec := telemetry.New(reg)
	deps, err := build(ctx, cfg, log, rec)
	if err != nil {
		return err
	}
	defer deps.store.Close()
	if sr, ok := deps.store.(telemetry.StatsReader); ok {
		telemetry.RegisterPromotions(reg, sr)
	}
	var snd *notifier.Sender
	if len(cfg.Notifications.Destinations) > 0 {
		if snd, err = notifier.New(notifier.Config{Owner: engineConfig(cfg).Owner,
			FirstRetry: cfg.Notifications.RetryFirst.D(), MaxRetry: cfg.Notifications.RetryMax.D(), Lease: cfg.Notifications.Lease.D()}, cfg.Notifications, deps.store, rec, log.Named("notify")); err != nil {
			return err
		}
	}

	engine := promotion.New(engineConfig(cfg), promotion.Deps{
		Store: deps.store, Registry: deps.registry, Repos: deps.repos, Providers: deps.providers, Log: log.Named("engine"),
		Builtin:     builtin.Providers(deps.store, "", log.Named("builtin")),
		Render:      deps.render,
		SupplyChain: deps.supplyChain,
		Deployments: rec,
	})
	tokens := server.NewTokens(cfg.Tokens)
	hooks := server.NewHooks(cfg.Webhooks)
	srv := server.New(server.Config{
		MaxBodyBytes:      cfg.Limits.MaxBodyBytes,
		Version:           version,
		AnonymousRead:     cfg.AnonymousRead,
		IdempotencyTTL:    cfg.Limits.IdempotencyTTL.D(),
		RequestsPerMinute: cfg.Limits.RequestsPerMinute,
		Burst:             cfg.Limits.Burst,
		ConsoleOIDC:       consoleOIDC(cfg.Console.OIDC),
	}, server.Deps{Engine: engine, Tokens: tokens, Hooks: hooks, Store: deps.store, Log: log.Named("http"),
		Metrics: reg, Webhooks: rec})

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	scheme := "http"
	if cfg.TLS != nil {
		certs, err := certreload.New(certreload.Config{
			CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile, ClientCAFile: cfg.TLS.ClientCAFile,
		}, log.Named("tls"))
		if err != nil {
			ln.Close()
			return fmt.Errorf("loading TLS certificate: %w", err)
		}
		ln, scheme = tls.NewListener(ln, certs.TLSConfig()), "https"
	} else if !loopback(ln.Addr()) {
		log.Warn("serving plain HTTP on a non-loopback address: tokens and webhook signatures travel in clear unless a reverse proxy terminates TLS in front of Ferry; set tls: {certFile, keyFile} to serve HTTPS",
			zap.String("addr", ln.Addr().String()))
	}
	// Requests run under drain, which ends a little after shutdown begins:
	// a report in flight then has had time to be recorded, and a ?wait=
	// long-poll answers with the promotion's state as it is.
	drain, endDrain := context.WithCancel(context.Background())
	defer endDrain()
	hs := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return drain },
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      11 * time.Minute, // ?wait= may hold a build report up to 10m
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
	}

	engineCtx, stopEngine := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { engine.Run(engineCtx) })
	wg.Go(func() { srv.PurgeIdempotency(engineCtx, time.Hour) })
	if snd != nil {
		wg.Go(func() { snd.Run(engineCtx) })
	}
	if cfgPath != "" {
		wg.Go(func() { reloadSecrets(engineCtx, cfgPath, reloadInterval, tokens, hooks, log) })
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("ferry serving", zap.String("addr", ln.Addr().String()), zap.String("scheme", scheme), zap.String("version", version),
		zap.String("store", cfg.Store.Driver), zap.Int("repositories", len(cfg.Repositories)))
	if banner != nil {
		banner(ln.Addr().String())
	}

	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down: no new connections or claims; finishing work in hand")
	}
	// The listener closes and the worker stops claiming at once; both then
	// finish what they hold, within shutdownTimeout. Work the worker cannot
	// finish within its grace is handed back to the store.
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	stopEngine()
	drainTimer := time.AfterFunc(drainDelay, endDrain)
	defer drainTimer.Stop()
	if serr := hs.Shutdown(sctx); serr != nil {
		log.Warn("http shutdown", zap.Error(serr))
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		log.Warn("worker did not stop in time; its leases will expire and be taken over")
	}
	log.Info("shut down")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Shutdown on SIGTERM or SIGINT is bounded: in-flight requests get
// drainDelay before their long-polls answer, and everything shutdownTimeout
// (the worker's grace is less: it hands back what it cannot finish).
const (
	drainDelay      = 2 * time.Second
	shutdownTimeout = 20 * time.Second
	workerGrace     = 12 * time.Second
)

func engineConfig(cfg *config.Server) promotion.Config {
	host, _ := os.Hostname()
	return promotion.Config{
		Owner:             fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().UnixNano()%1e6),
		BatchWindow:       cfg.Worker.BatchWindow.D(),
		PollInterval:      cfg.Worker.PollInterval.D(),
		Lease:             cfg.Worker.Lease.D(),
		MaxBatch:          cfg.Worker.MaxBatch,
		RetryMax:          cfg.Worker.RetryMax.D(),
		PipelineRefresh:   cfg.Worker.PipelineRefresh.D(),
		ReconcileInterval: cfg.Worker.ReconcileInterval.D(),
		ShutdownGrace:     workerGrace,
	}
}

// loopback reports whether addr listens on a loopback address only.
func loopback(addr net.Addr) bool {
	ta, ok := addr.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
