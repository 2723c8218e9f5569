// Command authissuer runs an OAuth authorization server on loopback for the
// authorization measurements of perf/authbench.sh: auth/authtest's issuer
// (RFC 8414 metadata, a JWKS whose ES256 key is made at start, JWT access
// tokens) on 127.0.0.1 with a port from the kernel. It prints, one per line,
// shell assignments a script can source, then serves until SIGINT or SIGTERM:
//
//	ISSUER=http://127.0.0.1:PORT             (--auth-issuer)
//	JWKS=http://127.0.0.1:PORT/jwks          (--auth-jwks-url, if wanted)
//	TOKEN=eyJ...                             (valid for --lifetime, aud --audience)
//
//	go run ./perf/authissuer --audience http://127.0.0.1:29010/mcp --scopes mcp
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/densemcp/densemcp/auth/authtest"
)

// maxLifetime bounds --lifetime: the token is for one measuring run.
const maxLifetime = 24 * time.Hour

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "authissuer:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("authissuer", flag.ContinueOnError)
	audience := fs.String("audience", "", "the resource `URI` the token is for (the server's --auth-audience); required")
	scopes := fs.String("scopes", "", "space- or comma-separated scopes the token carries")
	subject := fs.String("subject", "bench", "the token's sub")
	lifetime := fs.Duration("lifetime", time.Hour, "how long the token is valid (at most 24h)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*audience)
	if *audience == "" || err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("--audience %q: an absolute URI is required", *audience)
	}
	if *lifetime <= 0 || *lifetime > maxLifetime {
		return fmt.Errorf("--lifetime %v: (0, %v]", *lifetime, maxLifetime)
	}
	tb := &programTB{}
	defer tb.cleanup()
	iss, err := start(tb)
	if err != nil {
		return err
	}
	tok, err := token(tb, iss, authtest.Claims{Subject: *subject, Audience: *audience,
		Scopes: strings.Fields(strings.ReplaceAll(*scopes, ",", " ")), Lifetime: *lifetime})
	if err != nil {
		return err
	}
	fmt.Printf("ISSUER=%s\nJWKS=%s/jwks\nTOKEN=%s\n", iss.URL, iss.URL, tok)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}

// start runs authtest.New, whose failures come as a panic from programTB.Fatal.
func start(tb *programTB) (iss *authtest.Issuer, err error) {
	defer tb.recover(&err)
	return authtest.New(tb), nil
}

func token(tb *programTB, iss *authtest.Issuer, c authtest.Claims) (tok string, err error) {
	defer tb.recover(&err)
	return iss.Token(tb, c), nil
}

// programTB is the part of testing.TB that authtest uses, for a program: Fatal panics
// with an error that recover turns back into one, Cleanup runs at exit. Any other
// method would call the nil embedded TB and panic, which authtest does not do.
type programTB struct {
	testing.TB
	cleanups []func()
}

type fatal struct{ err error }

func (p *programTB) Helper()           {}
func (p *programTB) Cleanup(f func())  { p.cleanups = append(p.cleanups, f) }
func (p *programTB) Fatal(args ...any) { panic(fatal{errors.New(fmt.Sprint(args...))}) }
func (p *programTB) Fatalf(format string, args ...any) {
	panic(fatal{fmt.Errorf(format, args...)})
}

func (p *programTB) recover(err *error) {
	if r := recover(); r != nil {
		f, ok := r.(fatal)
		if !ok {
			panic(r)
		}
		*err = f.err
	}
}

func (p *programTB) cleanup() {
	for i := len(p.cleanups) - 1; i >= 0; i-- {
		p.cleanups[i]()
	}
}
