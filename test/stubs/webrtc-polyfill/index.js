// WebRTC is not used by hayate's tests (HTTP and UDP tracker clients only): fail loudly if touched.
function unavailable () { throw new Error('WebRTC is not available in hayate tests (webrtc-polyfill stub)') }
export const RTCPeerConnection = unavailable
export const RTCSessionDescription = unavailable
export const RTCIceCandidate = unavailable
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate }
