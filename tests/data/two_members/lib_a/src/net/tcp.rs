use std::net::TcpStream;

pub async fn dial() -> std::io::Result<TcpStream> {
    TcpStream::connect("127.0.0.1:80")
}
