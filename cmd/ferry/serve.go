package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/ferryhq/ferry/internal/config"
	"github.com/ferryhq/ferry/internal/promotion"
	"github.com/ferryhq/ferry/internal/server"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "server config file (ferry-server.yaml)")
	dev := fs.Bool("dev", false, "run on an embedded default: local registry, local bare repo, SQLite")
	dataDir := fs.String("data", "./data", "data folder (--dev)")
	listen := fs.String("listen", "127.0.0.1:8080", "listen address (--dev)")
	regAddr := fs.String("dev-registry", "127.0.0.1:5050", "address of the in-process registry (--dev)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
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
	deps, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer deps.store.Close()

	engine := promotion.New(engineConfig(cfg), promotion.Deps{
		Store: deps.store, Registry: deps.registry, Repos: deps.repos, Providers: deps.providers, Log: log.Named("engine"),
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
	}, server.Deps{Engine: engine, Tokens: tokens, Hooks: hooks, Store: deps.store, Log: log.Named("http")})

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
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
	if cfgPath != "" {
		wg.Go(func() { reloadSecrets(engineCtx, cfgPath, reloadInterval, tokens, hooks, log) })
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("ferry serving", zap.String("addr", ln.Addr().String()), zap.String("version", version),
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
