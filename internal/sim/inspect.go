package sim

import (
	"regexp"
	"strings"
)

// InspectDeploymentContainer: Docker's inspection of a deployment's container, with the
// environment Komodo gave it - the deployment's environment with [[VARIABLE]] references
// interpolated (bin/core/src/helpers/interpolate.rs), secret variables included, as the
// container really holds them.

var variableRef = regexp.MustCompile(`\[\[([A-Za-z0-9_]+)\]\]`)

func inspectHandlers(handle func(string, handlerFunc)) {
	handle("InspectDeploymentContainer", func(s *Server, c *call) (any, *apiError) {
		d, err := s.w.mustFind("Deployment", str(c.body, "deployment"))
		if err != nil {
			return nil, err
		}
		if d.State == "not_deployed" || d.State == "unknown" {
			return nil, errf("Failed to inspect container %s on server | No such container: %s", d.Name, d.Name)
		}
		out, _ := full(s.sp.ref("Container")).(map[string]any)
		image, _ := deploymentImage(s.w, d)
		env := []any{}
		for _, line := range strings.Split(str(d.Config, "environment"), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				env = append(env, s.w.interpolate(line))
			}
		}
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
		out["Name"], out["Image"] = "/"+d.Name, image
		if cfg, ok := out["Config"].(map[string]any); ok {
			cfg["Image"], cfg["Env"], cfg["Hostname"] = image, env, d.Name
		}
		return out, nil
	})
}

// interpolate replaces [[NAME]] with the variable's value, as Komodo does before it
// hands a config to Periphery.
func (w *world) interpolate(s string) string {
	return variableRef.ReplaceAllStringFunc(s, func(ref string) string {
		if v := w.findVariable(ref[2 : len(ref)-2]); v != nil {
			return v.Value
		}
		return ref
	})
}
