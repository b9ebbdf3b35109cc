package event

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Webhook formats (node.webhook_format).
const (
	// FormatJSON POSTs every event as a Payload (the default).
	FormatJSON = "json"
	// FormatIronic follows the callback of OpenStack Ironic's anaconda
	// deploy (its kickstart template): a PUT to the node's heartbeat URL
	// with agent_token, agent_status start / end / error and a message,
	// sent when the run starts, succeeds and fails. Progress has no
	// place in that contract and is not sent.
	FormatIronic = "ironic"
)

// ironicAPIVersion is the API micro-version Ironic's template declares
// for the status callback.
const ironicAPIVersion = "1.72"

// ironicStatus is the agent_status of an event kind, "" for none.
func ironicStatus(k Kind) string {
	switch k {
	case Started:
		return "start"
	case Done:
		return "end"
	case Failed:
		return "error"
	}
	return ""
}

// ironicBody is what Ironic reads from the callback.
type ironicBody struct {
	AgentToken    string `json:"agent_token,omitempty"`
	AgentStatus   string `json:"agent_status"`
	StatusMessage string `json:"agent_status_message"`
}

func ironicRequest(url, token string, p Payload) (request, error) {
	b := ironicBody{AgentToken: token}
	switch p.Event {
	case string(Started):
		b.AgentStatus, b.StatusMessage = "start", "Deployment starting: "+p.Message
	case "succeeded":
		b.AgentStatus, b.StatusMessage = "end", "Deployment completed successfully: "+p.Message
	default:
		b.AgentStatus, b.StatusMessage = "error", "Error: "+p.Error
	}
	b.StatusMessage = strings.TrimSuffix(strings.TrimSpace(b.StatusMessage), ":")
	body, err := json.Marshal(b)
	return request{method: http.MethodPut, url: url, body: body, header: map[string]string{
		"Content-Type":                   "application/json",
		"Accept":                         "application/json",
		"X-OpenStack-Ironic-API-Version": ironicAPIVersion,
	}}, err
}
