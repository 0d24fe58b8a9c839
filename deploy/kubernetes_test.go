package deploy

import (
	"fmt"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The Kubernetes objects, as far as the tests read them.
type (
	kustomization struct {
		Namespace          string   `yaml:"namespace"`
		Resources          []string `yaml:"resources"`
		ConfigMapGenerator []struct {
			Name  string   `yaml:"name"`
			Files []string `yaml:"files"`
		} `yaml:"configMapGenerator"`
		SecretGenerator []struct {
			Name  string   `yaml:"name"`
			Envs  []string `yaml:"envs"`
			Files []string `yaml:"files"`
		} `yaml:"secretGenerator"`
	}

	objectMeta struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	}

	deployment struct {
		Kind     string     `yaml:"kind"`
		Metadata objectMeta `yaml:"metadata"`
		Spec     struct {
			Replicas *int `yaml:"replicas"`
			Strategy struct {
				Type string `yaml:"type"`
			} `yaml:"strategy"`
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Template struct {
				Metadata objectMeta `yaml:"metadata"`
				Spec     podSpec    `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}

	podSpec struct {
		TerminationGracePeriodSeconds *int `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot *bool `yaml:"runAsNonRoot"`
			RunAsUser    *int  `yaml:"runAsUser"`
			FSGroup      *int  `yaml:"fsGroup"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []volume    `yaml:"volumes"`
	}

	container struct {
		Name    string   `yaml:"name"`
		Image   string   `yaml:"image"`
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		EnvFrom []struct {
			SecretRef *struct {
				Name string `yaml:"name"`
			} `yaml:"secretRef"`
		} `yaml:"envFrom"`
		Env []struct {
			Name      string `yaml:"name"`
			ValueFrom *struct {
				SecretKeyRef *struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			SubPath   string `yaml:"subPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	}

	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"` // a name or a number
		} `yaml:"httpGet"`
	}

	volume struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName string `yaml:"secretName"`
			Optional   bool   `yaml:"optional"`
		} `yaml:"secret"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	}

	service struct {
		Metadata objectMeta `yaml:"metadata"`
		Spec     struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
)

// k8s is the Kubernetes example, read from deploy/kubernetes.
type k8s struct {
	kust   kustomization
	deploy deployment
	pod    podSpec
	c      container
	pvc    objectMeta
	svc    service
}

func readK8s(t *testing.T) k8s {
	t.Helper()
	var k k8s
	decodeYAML(t, "kubernetes/kustomization.yaml", &k.kust)
	decodeYAML(t, "kubernetes/deployment.yaml", &k.deploy)
	var pvc struct {
		Kind     string     `yaml:"kind"`
		Metadata objectMeta `yaml:"metadata"`
	}
	decodeYAML(t, "kubernetes/pvc.yaml", &pvc)
	if pvc.Kind != "PersistentVolumeClaim" {
		t.Fatalf("pvc.yaml holds a %q, want a PersistentVolumeClaim", pvc.Kind)
	}
	k.pvc = pvc.Metadata
	decodeYAML(t, "kubernetes/service.yaml", &k.svc)
	k.pod = k.deploy.Spec.Template.Spec
	if len(k.pod.Containers) != 1 {
		t.Fatalf("the pod has %d containers, want 1", len(k.pod.Containers))
	}
	k.c = k.pod.Containers[0]
	return k
}

// volumeMount returns the mount path of the volume named name, or "".
func (c container) volumeMount(t *testing.T, name string) string {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.Name == name {
			if m.SubPath != "" {
				t.Errorf("volume %s is mounted with subPath %s: mount the whole volume", name, m.SubPath)
			}
			return m.MountPath
		}
	}
	return ""
}

// readOnly reports whether the volume named name is mounted read-only.
func (c container) readOnly(name string) bool {
	for _, m := range c.VolumeMounts {
		if m.Name == name {
			return m.ReadOnly
		}
	}
	return false
}

// volumeWhere returns the name of the pod's first volume for which match
// is true, or "".
func (p podSpec) volumeWhere(match func(volume) bool) string {
	for _, v := range p.Volumes {
		if match(v) {
			return v.Name
		}
	}
	return ""
}

// portNumber resolves a probe's or Service's port, a number or the name of
// a container port, to a number (0 if it names none).
func (c container) portNumber(ref string) int {
	if n, err := strconv.Atoi(ref); err == nil {
		return n
	}
	for _, p := range c.Ports {
		if p.Name == ref {
			return p.ContainerPort
		}
	}
	return 0
}

// configArg returns the --config FILE of args, or "".
func configArg(args []string) string {
	for i, a := range args {
		if (a == "--config" || a == "-config") && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func TestTheDeploymentRunsExactlyOnePodAndStopsItBeforeStartingANewOne(t *testing.T) {
	k := readK8s(t)
	if k.deploy.Kind != "Deployment" {
		t.Fatalf("deployment.yaml holds a %q, want a Deployment", k.deploy.Kind)
	}
	if r := k.deploy.Spec.Replicas; r == nil || *r != 1 {
		t.Errorf("replicas = %s, want exactly 1 (bbolt has one writer)", show(r))
	}
	if s := k.deploy.Spec.Strategy.Type; s != "Recreate" {
		t.Errorf("strategy.type = %q, want Recreate (a rolling update would run two pods on one database)", s)
	}
	if g := k.pod.TerminationGracePeriodSeconds; g == nil || secs(*g) < mdebotShutdownGrace+stopMargin {
		t.Errorf("terminationGracePeriodSeconds = %s, want at least %s (mdebot's graceful stop takes up to %s)",
			show(g), mdebotShutdownGrace+stopMargin, mdebotShutdownGrace)
	}
	sel := k.deploy.Spec.Selector.MatchLabels
	if len(sel) == 0 {
		t.Fatal("the Deployment has no selector")
	}
	for key, v := range sel {
		if k.deploy.Spec.Template.Metadata.Labels[key] != v {
			t.Errorf("the pod template lacks the selector's label %s=%s", key, v)
		}
	}
}

func TestThePodRunsAsNonRootWithAReadOnlyRootAndNoCapabilities(t *testing.T) {
	k := readK8s(t)
	psc, csc := k.pod.SecurityContext, k.c.SecurityContext
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("securityContext.runAsNonRoot is not true")
	}
	if psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Error("securityContext.runAsUser is not a non-root uid")
	}
	if psc.FSGroup == nil {
		t.Error("securityContext.fsGroup is not set: the data volume may not be writable")
	}
	if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if diff := cmp.Diff([]string{"ALL"}, csc.Capabilities.Drop); diff != "" {
		t.Errorf("capabilities.drop (-want +got):\n%s", diff)
	}
	if k.c.Resources.Requests["memory"] == "" || k.c.Resources.Limits["memory"] == "" {
		t.Error("the container has no memory request or limit")
	}
}

func TestTheProbesAskTheAdminListenerTheConfigMapOpens(t *testing.T) {
	k := readK8s(t)
	cfg := parseConfig(t, "kubernetes/mdebot.yaml")
	host, port, err := net.SplitHostPort(cfg.Admin.Listen)
	if err != nil {
		t.Fatalf("admin.listen %q: %v", cfg.Admin.Listen, err)
	}
	if host != "0.0.0.0" && host != "" && host != "::" {
		t.Errorf("admin.listen host %q: the kubelet cannot reach it; listen on 0.0.0.0", host)
	}
	want, _ := strconv.Atoi(port)
	for _, p := range []struct {
		name, path string
		probe      *probe
	}{
		{"livenessProbe", "/healthz", k.c.LivenessProbe},
		{"readinessProbe", "/readyz", k.c.ReadinessProbe},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s is not an httpGet probe", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s asks %s, want %s", p.name, p.probe.HTTPGet.Path, p.path)
		}
		if got := k.c.portNumber(p.probe.HTTPGet.Port); got != want {
			t.Errorf("%s asks port %q (%d), but admin.listen is %s", p.name, p.probe.HTTPGet.Port, got, cfg.Admin.Listen)
		}
	}
	var svcPorts []int
	for _, p := range k.svc.Spec.Ports {
		if got := k.c.portNumber(p.TargetPort); got != want {
			t.Errorf("the Service's targetPort %q is %d, want the admin port %d", p.TargetPort, got, want)
		}
		svcPorts = append(svcPorts, p.Port)
	}
	if a := k.svc.Metadata.Annotations["prometheus.io/port"]; a != "" && !slices.Contains(svcPorts, atoi(a)) {
		t.Errorf("prometheus.io/port %s is not a port of the Service %v", a, svcPorts)
	}
	for key, v := range k.svc.Spec.Selector {
		if k.deploy.Spec.Template.Metadata.Labels[key] != v {
			t.Errorf("the Service selects %s=%s, which the pod does not carry", key, v)
		}
	}
}

func TestTheConfigMapIsMountedWhereTheContainerReadsIt(t *testing.T) {
	k := readK8s(t)
	if len(k.kust.ConfigMapGenerator) != 1 || len(k.kust.ConfigMapGenerator[0].Files) != 1 {
		t.Fatalf("want one configMapGenerator with one file, got %+v", k.kust.ConfigMapGenerator)
	}
	gen := k.kust.ConfigMapGenerator[0]
	vol := k.pod.volumeWhere(func(v volume) bool { return v.ConfigMap != nil && v.ConfigMap.Name == gen.Name })
	if vol == "" {
		t.Fatalf("no volume holds the ConfigMap %s", gen.Name)
	}
	if !k.c.readOnly(vol) {
		t.Errorf("the configuration volume %s is not mounted read-only", vol)
	}
	file := path.Join(k.c.volumeMount(t, vol), gen.Files[0])
	if got := configArg(append(k.c.Command, k.c.Args...)); got != file {
		t.Errorf("the container reads --config %q, but the ConfigMap's file is mounted at %q", got, file)
	}
}

func TestTheDatabaseLivesOnThePersistentVolume(t *testing.T) {
	k := readK8s(t)
	cfg := parseConfig(t, "kubernetes/mdebot.yaml")
	vol := k.pod.volumeWhere(func(v volume) bool {
		return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == k.pvc.Name
	})
	if vol == "" {
		t.Fatalf("no volume holds the PersistentVolumeClaim %s", k.pvc.Name)
	}
	if dir, mount := path.Dir(cfg.Storage.Path), k.c.volumeMount(t, vol); dir != mount {
		t.Errorf("storage.path %s is not on the data volume, mounted at %s", cfg.Storage.Path, mount)
	}
}

func TestTheSecretsComeFromTheGeneratedSecretAndNameOnlyConfigVariables(t *testing.T) {
	k := readK8s(t)
	if len(k.kust.SecretGenerator) != 1 || len(k.kust.SecretGenerator[0].Envs) != 1 {
		t.Fatalf("want one secretGenerator from one env file, got %+v", k.kust.SecretGenerator)
	}
	gen := k.kust.SecretGenerator[0]
	var refs []string
	for _, e := range k.c.EnvFrom {
		if e.SecretRef != nil {
			refs = append(refs, e.SecretRef.Name)
		}
	}
	known := configEnvNames(t)
	for _, e := range k.c.Env {
		if !known[e.Name] && !goEnvNames[e.Name] {
			t.Errorf("env %s is not a variable mdebot reads", e.Name)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			refs = append(refs, e.ValueFrom.SecretKeyRef.Name)
		}
	}
	if !slices.Contains(refs, gen.Name) {
		t.Errorf("the container reads Secrets %v, not the generated %s", refs, gen.Name)
	}

	example := readEnvFile(t, "kubernetes/"+gen.Envs[0]+".example")
	checkEnvNames(t, "kubernetes/"+gen.Envs[0]+".example", example, known)
	if _, err := os.Stat("kubernetes/" + gen.Envs[0]); err == nil {
		t.Logf("kubernetes/%s exists: make sure it is not committed", gen.Envs[0])
	}
	for _, v := range example.set {
		if v != "" {
			t.Errorf("%s.example holds a value %q: leave the values empty", gen.Envs[0], v)
		}
	}
	// The certificate volume is for AZURE_CLIENT_CERTIFICATE_PATH only: a
	// deployment with a client secret has no such Secret, and must start.
	for _, v := range k.pod.Volumes {
		if v.Secret == nil {
			continue
		}
		if !v.Secret.Optional {
			t.Errorf("secret volume %s is not optional: the pod would not start with a client secret", v.Name)
		}
		if !k.c.readOnly(v.Name) {
			t.Errorf("secret volume %s is not mounted read-only", v.Name)
		}
	}
}

func TestEveryKustomizationResourceExists(t *testing.T) {
	k := readK8s(t)
	for _, r := range k.kust.Resources {
		if _, err := os.Stat("kubernetes/" + r); err != nil {
			t.Errorf("resource %s: %v", r, err)
		}
	}
	for _, g := range k.kust.ConfigMapGenerator {
		for _, f := range g.Files {
			if _, err := os.Stat("kubernetes/" + f); err != nil {
				t.Errorf("configMapGenerator file %s: %v", f, err)
			}
		}
	}
	if !slices.Contains(k.kust.Resources, "deployment.yaml") || !slices.Contains(k.kust.Resources, "pvc.yaml") {
		t.Errorf("resources %v lack deployment.yaml or pvc.yaml", k.kust.Resources)
	}
}

// show prints *p, or "unset".
func show[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

// secs converts a number of seconds to a Duration.
func secs(n int) time.Duration { return time.Duration(n) * time.Second }

// atoi is strconv.Atoi, 0 for anything but a number.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
