package config

import "testing"

// TestMetricsPerUser: the per-user metric is on by default, off with
// APP_METRICS_PER_USER=off, and any other value is refused.
func TestMetricsPerUser(t *testing.T) {
	for _, c := range []struct {
		value   string
		want    bool
		wantErr bool
	}{{"", true, false}, {"on", true, false}, {"OFF", false, false}, {"false", false, false}, {"sometimes", false, true}} {
		cfg, err := Load(func(k string) string {
			if k == "APP_METRICS_PER_USER" {
				return c.value
			}
			return ""
		})
		if (err != nil) != c.wantErr {
			t.Errorf("%q: error %v, want error %v", c.value, err, c.wantErr)
			continue
		}
		if err == nil && cfg.MetricsPerUser != c.want {
			t.Errorf("%q: MetricsPerUser %v, want %v", c.value, cfg.MetricsPerUser, c.want)
		}
	}
}
