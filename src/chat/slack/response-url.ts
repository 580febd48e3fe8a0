/**
 * Whether jitbot may POST to a `response_url`. Only Slack's own hosts qualify: `https` on the default
 * port at slack.com or slack-gov.com (and their subdomains, such as hooks.slack.com), or the exact
 * origin of SLACK_API_URL (a private Slack endpoint, or a test double). A payload naming any other URL
 * could otherwise make jitbot send its answers, which may quote request details, anywhere.
 */
export function isSlackResponseUrl(value: string, apiUrl?: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (apiUrl) {
    try {
      if (url.origin === new URL(apiUrl).origin) return true;
    } catch {
      // a malformed SLACK_API_URL is refused at start; nothing matches it here
    }
  }
  if (url.protocol !== 'https:' || url.port !== '') return false;
  const host = url.hostname.toLowerCase();
  return SLACK_DOMAINS.some((domain) => host === domain || host.endsWith(`.${domain}`));
}

const SLACK_DOMAINS = ['slack.com', 'slack-gov.com'];
