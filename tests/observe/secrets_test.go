package observe

import (
	"strings"
	"testing"
)

// minFragment is the shortest part of a secret that counts as recognisable.
const minFragment = 8

// leak returns a fragment of a secret (minFragment characters or more) that
// text contains, or "".
func leak(text string, secrets []string) string {
	for _, s := range secrets {
		for i := 0; i+minFragment <= len(s); i++ {
			if frag := s[i : i+minFragment]; strings.Contains(text, frag) {
				return frag
			}
		}
	}
	return ""
}

// TestLeakFindsAnyRecognisablePart: the detector itself finds a whole
// secret, an 8-character part of it and a JWT's payload segment, and does
// not cry wolf at text without them.
func TestLeakFindsAnyRecognisablePart(t *testing.T) {
	secret := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
	for _, text := range []string{secret, "token=" + secret[10:18] + "...", `{"p":"eyJzdWIiOiJhbGljZSJ9"}`} {
		if leak(text, []string{secret}) == "" {
			t.Errorf("leak(%q) found nothing", text)
		}
	}
	if got := leak("a log line with nothing secret", []string{secret}); got != "" {
		t.Errorf("leak found %q in clean text", got)
	}
}

// TestNoSecretAnywhere runs every scenario through the full server and fails
// if any secret of the run, or a recognisable part of one, appears in the
// captured log, either server's /metrics output, or any answer (body and
// headers). The secrets: the user tokens sent, the service principal's
// client secret, and every token the fake workspace saw (the service
// principal's own access tokens included), the Lakebase passwords it
// issued, and whatever a scenario adds to env.extraSecrets.
func TestNoSecretAnywhere(t *testing.T) {
	e := newEnv(t, true)
	var seen []string
	for _, s := range scenarios(e) {
		a := s.run(t, e)
		seen = append(seen, s.name+"\n"+a.responseText())
	}
	for _, h := range []struct {
		name string
		a    answer
	}{{"strict", send(e.strict, "GET", "/metrics", "", "", nil)}, {"fallback", send(e.fallback, "GET", "/metrics", "", "", nil)}} {
		seen = append(seen, "/metrics of "+h.name+"\n"+h.a.responseText())
	}
	seen = append(seen, "log\n"+e.logs.String())

	secrets := []string{e.clientSecret, e.alice, e.bob, e.aliceNoServing, e.aliceNoIDs, e.unknown}
	spTokens := 0
	for _, r := range e.ws.Requests() {
		if r.Token != "" {
			secrets = append(secrets, r.Token)
			if strings.HasPrefix(r.Token, "dosp") {
				spTokens++
			}
		}
	}
	// Lakebase passwords, once the server asks for any.
	for _, c := range e.ws.DatabaseCredentials() {
		secrets = append(secrets, c.Token)
	}
	secrets = append(secrets, e.extraSecrets...)
	if spTokens == 0 {
		t.Fatal("no service-principal token was used: the fallback scenarios did not run as meant")
	}
	for _, text := range seen {
		if frag := leak(text, secrets); frag != "" {
			where, _, _ := strings.Cut(text, "\n")
			t.Errorf("%s holds %q, part of a secret", where, frag)
		}
	}
}
