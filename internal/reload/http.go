package reload

import (
	"net/http"

	"github.com/trademon/trademon/internal/server"
)

// Handler serves POST /-/reload: 200 with the Result as JSON when the config was
// reloaded, 500 with {"error": ...} when it was not (the old config keeps running).
// Mount it behind the admin check: it does not authenticate.
func (r *Reloader) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			server.Error(w, http.StatusMethodNotAllowed, "use POST to reload the config")
			return
		}
		res, err := r.Reload(req.Context(), "http")
		if err != nil {
			server.Error(w, http.StatusInternalServerError, "config not reloaded, the running config is unchanged: "+err.Error())
			return
		}
		server.JSON(w, http.StatusOK, res)
	})
}
