// Draws cli/src/demo/testcard.png, the picture the README's main command warps. Run from the repository root:
//   /usr/lib/jvm/temurin-25-jdk-amd64/bin/jshell -R-Djava.awt.headless=true cli/src/demo/make_testcard.jsh
import java.awt.*;
import java.awt.geom.*;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;

int W = 320, H = 240;
BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
Graphics2D g = img.createGraphics();
g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
g.setPaint(new GradientPaint(0, 0, new Color(30, 60, 140), W, H, new Color(240, 170, 60)));
g.fillRect(0, 0, W, H);
for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) {
    g.setColor(((x + y) & 1) == 0 ? Color.WHITE : Color.BLACK);
    g.fillRect(16 + 16 * x, 16 + 16 * y, 16, 16);
}
g.setColor(new Color(220, 40, 60)); g.fill(new Ellipse2D.Double(200, 24, 90, 90));
g.setColor(new Color(40, 180, 90)); g.fill(new Rectangle2D.Double(30, 140, 80, 70));
g.setColor(Color.WHITE); g.setStroke(new BasicStroke(3f));
g.draw(new Line2D.Double(0, H / 2.0, W, H / 2.0)); g.draw(new Line2D.Double(W / 2.0, 0, W / 2.0, H));
g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 44));
g.setColor(Color.BLACK); g.drawString("stn4j", 142, 192);
g.setColor(Color.WHITE); g.drawString("stn4j", 139, 189);
g.setColor(Color.YELLOW); g.fillPolygon(new int[] {W - 40, W - 10, W - 25}, new int[] {H - 15, H - 15, H - 45}, 3);
g.dispose();
ImageIO.write(img, "png", new java.io.File("cli/src/demo/testcard.png"));
/exit
