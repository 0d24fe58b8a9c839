package deploy

import (
	"net/url"
	"os"
	"path"
	"slices"
	"testing"

	"github.com/mdebot/mdebot/config"
)

// haDir is the three-replica Kubernetes example on etcd.
const haDir = "kubernetes-ha/"

// readK8sHA is readK8s for the three-replica example (it has no PVC).
func readK8sHA(t *testing.T) k8s {
	t.Helper()
	var k k8s
	decodeYAML(t, haDir+"kustomization.yaml", &k.kust)
	decodeYAML(t, haDir+"deployment.yaml", &k.deploy)
	decodeYAML(t, haDir+"service.yaml", &k.svc)
	k.pod = k.deploy.Spec.Template.Spec
	if len(k.pod.Containers) != 1 {
		t.Fatalf("the pod has %d containers, want 1", len(k.pod.Containers))
	}
	k.c = k.pod.Containers[0]
	return k
}

func TestTheHADeploymentRunsThreeReplicasThatRollOneAtATime(t *testing.T) {
	k := readK8sHA(t)
	if k.deploy.Kind != "Deployment" {
		t.Fatalf("deployment.yaml holds a %q, want a Deployment", k.deploy.Kind)
	}
	if r := k.deploy.Spec.Replicas; r == nil || *r != 3 {
		t.Errorf("replicas = %s, want 3", show(r))
	}
	if s := k.deploy.Spec.Strategy.Type; s != "RollingUpdate" {
		t.Errorf("strategy.type = %q, want RollingUpdate (replicas share etcd; Recreate would stop them all)", s)
	}
	if g := k.pod.TerminationGracePeriodSeconds; g == nil || secs(*g) < mdebotShutdownGrace+stopMargin {
		t.Errorf("terminationGracePeriodSeconds = %s, want at least %s", show(g), mdebotShutdownGrace+stopMargin)
	}
	for key, v := range k.deploy.Spec.Selector.MatchLabels {
		if k.deploy.Spec.Template.Metadata.Labels[key] != v {
			t.Errorf("the pod template lacks the selector's label %s=%s", key, v)
		}
	}
	var pdb struct {
		Kind string `yaml:"kind"`
		Spec struct {
			MaxUnavailable *int `yaml:"maxUnavailable"`
		} `yaml:"spec"`
	}
	decodeYAML(t, haDir+"poddisruptionbudget.yaml", &pdb)
	if pdb.Kind != "PodDisruptionBudget" || pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != 1 {
		t.Errorf("poddisruptionbudget.yaml: kind %q maxUnavailable %s, want a PodDisruptionBudget with maxUnavailable 1", pdb.Kind, show(pdb.Spec.MaxUnavailable))
	}
}

func TestTheHAConfigurationIsEtcdFromASecretAndNoDisk(t *testing.T) {
	k := readK8sHA(t)
	cfg := parseConfig(t, haDir+"mdebot.yaml")
	if cfg.Storage.Backend != config.StorageEtcd {
		t.Fatalf("storage.backend = %q, want etcd", cfg.Storage.Backend)
	}
	for _, ep := range cfg.Storage.Etcd.Endpoints {
		if u, err := url.Parse(ep); err != nil || u.Scheme != "https" {
			t.Errorf("endpoint %q is not https", ep)
		}
	}
	if len(cfg.Storage.Etcd.Endpoints) < 3 {
		t.Errorf("%d etcd endpoints, want the cluster's three", len(cfg.Storage.Etcd.Endpoints))
	}
	// The file naming etcd's endpoints and user comes from a Secret the
	// kustomization generates, mounted where --config reads it.
	var gen string
	for _, g := range k.kust.SecretGenerator {
		if slices.Contains(g.Files, "mdebot.yaml") {
			gen = g.Name
		}
	}
	if gen == "" {
		t.Fatal("no secretGenerator holds mdebot.yaml")
	}
	vol := k.pod.volumeWhere(func(v volume) bool { return v.Secret != nil && v.Secret.SecretName == gen })
	if vol == "" {
		t.Fatalf("no volume holds the Secret %s", gen)
	}
	if got, want := configArg(append(k.c.Command, k.c.Args...)), path.Join(k.c.volumeMount(t, vol), "mdebot.yaml"); got != want {
		t.Errorf("the container reads --config %q, but the Secret's file is mounted at %q", got, want)
	}
	// etcd's CA file is on a mounted volume.
	if ca := cfg.Storage.Etcd.CAFile; ca != "" {
		found := false
		for _, m := range k.c.VolumeMounts {
			if path.Dir(ca) == m.MountPath {
				found = true
			}
		}
		if !found {
			t.Errorf("storage.etcd.tls.ca_file %s is on no mounted volume", ca)
		}
	}
	for _, v := range k.pod.Volumes {
		if v.PersistentVolumeClaim != nil {
			t.Errorf("volume %s is a PersistentVolumeClaim: replicas on etcd keep nothing on disk", v.Name)
		}
		if v.Secret != nil && !k.c.readOnly(v.Name) {
			t.Errorf("secret volume %s is not mounted read-only", v.Name)
		}
	}
}

func TestTheHASecretsNameOnlyVariablesMdebotReadsAndTheEtcdPassword(t *testing.T) {
	k := readK8sHA(t)
	var envs string
	for _, g := range k.kust.SecretGenerator {
		if len(g.Envs) == 1 {
			envs = g.Envs[0]
		}
	}
	if envs == "" {
		t.Fatal("no secretGenerator reads an env file")
	}
	example := readEnvFile(t, haDir+envs+".example")
	checkEnvNames(t, haDir+envs+".example", example, configEnvNames(t))
	if _, ok := example.set[config.EnvEtcdPassword]; !ok {
		t.Errorf("%s.example does not name %s", envs, config.EnvEtcdPassword)
	}
	for name, v := range example.set {
		if v != "" {
			t.Errorf("%s.example holds a value for %s: leave the values empty", envs, name)
		}
	}
	for _, r := range k.kust.Resources {
		if _, err := os.Stat(haDir + r); err != nil {
			t.Errorf("resource %s: %v", r, err)
		}
	}
	for key, v := range k.svc.Spec.Selector {
		if k.deploy.Spec.Template.Metadata.Labels[key] != v {
			t.Errorf("the Service selects %s=%s, which the pod does not carry", key, v)
		}
	}
}
